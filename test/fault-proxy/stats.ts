import type { Fault, RequestLine } from './rules.js';

/** One fault the proxy put on a request. */
export interface FaultRecord {
  method: string;
  /** Path and query. */
  path: string;
  /** `{ cut: true }`: an open exchange (a watch, mostly) that an outage broke off. */
  fault: Fault | { cut: true };
  /** 'rule': an injected rule's; 'outage': an outage's. */
  cause: 'rule' | 'outage';
  at: Date;
}

export interface ProxyStats {
  /** Requests the proxy received. */
  received: number;
  /** Requests sent on to the API server, delayed ones included. */
  forwarded: number;
  /** Answers the proxy made up instead of forwarding, by status code. */
  statuses: Record<number, number>;
  /** Requests whose connection the proxy reset without an answer. */
  resets: number;
  /** Requests the proxy held back before answering or forwarding them. */
  delays: number;
  /** Open exchanges an outage broke off. */
  cuts: number;
  /** The latest faults, oldest first. */
  recent: FaultRecord[];
}

// Enough to see what a test's faults did; an hour-long soak does not grow without bound.
const recentLimit = 200;

/** Counts what the proxy did, for tests to assert that the faults they asked for really happened. */
export class StatsRecorder {
  private readonly stats: ProxyStats = { received: 0, forwarded: 0, statuses: {}, resets: 0, delays: 0, cuts: 0, recent: [] };

  received(): void {
    this.stats.received += 1;
  }

  forwarded(): void {
    this.stats.forwarded += 1;
  }

  fault(request: RequestLine, fault: FaultRecord['fault'], cause: FaultRecord['cause']): void {
    if ('status' in fault) this.stats.statuses[fault.status] = (this.stats.statuses[fault.status] ?? 0) + 1;
    if ('reset' in fault) this.stats.resets += 1;
    if ('delayMs' in fault && fault.delayMs !== undefined) this.stats.delays += 1;
    if ('cut' in fault) this.stats.cuts += 1;
    this.stats.recent.push({ method: request.method, path: request.path, fault, cause, at: new Date() });
    if (this.stats.recent.length > recentLimit) this.stats.recent.shift();
  }

  /** A copy: later requests do not change what a test already read. */
  snapshot(): ProxyStats {
    return { ...this.stats, statuses: { ...this.stats.statuses }, recent: [...this.stats.recent] };
  }
}
