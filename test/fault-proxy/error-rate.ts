import type { InjectedRule } from './rules.js';
import type { FaultProxy } from './server.js';

/**
 * `rate` (0..1) of the requests answered 500, 503 or 429, a third each: the transient errors a
 * busy or restarting API server gives. Remove the rules to end it.
 */
export function injectErrorRate(proxy: FaultProxy, rate: number): InjectedRule[] {
  // Rules are tried in order: each rolls among the requests the ones before it let through.
  return [
    proxy.inject({ fault: { status: 500 }, probability: rate / 3 }),
    proxy.inject({ fault: { status: 503 }, probability: (rate / 3) / (1 - rate / 3) }),
    proxy.inject({ fault: { status: 429 }, probability: (rate / 3) / (1 - (2 * rate) / 3) }),
  ];
}
