import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { loopback } from '../../src/local/ports.js';
import { FaultRules, requestLine, type Fault, type FaultRule, type InjectedRule, type RequestLine } from './rules.js';
import { answerWithStatus } from './status-answer.js';
import { StatsRecorder, type ProxyStats } from './stats.js';
import { Upstream } from './upstream.js';

export interface FaultProxyOptions {
  /** The API server: `https://127.0.0.1:PORT` (or http://). */
  upstream: string;
  /** The CA that signed the API server's certificate; absent: the system's CAs. */
  caPem?: string;
  /** Rolls for rules' `probability`; default Math.random. `seededRandom(n)` makes runs repeatable. */
  random?: () => number;
}

/** What every request gets while the API server is "down". */
export type OutageFault = { status: number } | { reset: true };

export interface FaultProxy {
  /** `http://127.0.0.1:PORT`: give clients this as their server. */
  readonly url: string;
  /** Faults requests that match `rule`, in order of injection, until the handle removes it. */
  inject(rule: FaultRule): InjectedRule;
  /** Removes every injected rule. */
  clear(): void;
  /**
   * Until `endOutage()`: every request fails with `fault` (default 503), and the exchanges open
   * now (watches, requests in flight or held back by a delay) are cut off, as when the API
   * server goes away.
   */
  startOutage(fault?: OutageFault): void;
  endOutage(): void;
  /** An outage of `ms`; resolves when it is over (or the proxy stops). */
  outage(ms: number, fault?: OutageFault): Promise<void>;
  stats(): ProxyStats;
  /** Cuts every open exchange, stops listening and closes the connections to the API server. */
  stop(): Promise<void>;
}

interface Outage {
  fault: OutageFault;
  ended: Promise<void>;
  end(): void;
}

interface Exchange {
  request: RequestLine;
  res: ServerResponse;
}

/** A loopback HTTP proxy in front of a Kubernetes API server that fails, resets and slows requests as a test tells it. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new Upstream(options.upstream, options.caPem);
  const rules = new FaultRules(options.random ?? Math.random);
  const stats = new StatsRecorder();
  const open = new Set<Exchange>();
  let outage: Outage | undefined;

  // Never throws: a client that goes away during a delay ends the exchange, and that is all.
  const apply = async (exchange: Exchange, req: IncomingMessage, fault: Fault, cause: 'rule' | 'outage'): Promise<void> => {
    const { request, res } = exchange;
    stats.fault(request, fault, cause);
    if ('delayMs' in fault && fault.delayMs !== undefined && fault.delayMs > 0) {
      const gone = new AbortController();
      res.once('close', () => gone.abort());
      const held = await sleep(fault.delayMs, true, { signal: gone.signal }).catch(() => false);
      if (!held) return;
    }
    if ('status' in fault) answerWithStatus(res, fault.status, `injected by the fault proxy (${cause}): ${fault.status} for ${request.method} ${request.path}`);
    else if ('reset' in fault) cut(res);
    else pass(req, res);
  };

  const pass = (req: IncomingMessage, res: ServerResponse): void => {
    stats.forwarded();
    upstream.forward(req, res);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    stats.received();
    const exchange = { request: requestLine(req.method ?? 'GET', req.url ?? '/'), res };
    open.add(exchange);
    res.once('close', () => open.delete(exchange));
    if (outage !== undefined) {
      void apply(exchange, req, outage.fault, 'outage');
      return;
    }
    const fault = rules.take(exchange.request);
    if (fault === undefined) pass(req, res);
    else void apply(exchange, req, fault, 'rule');
  };

  const server = createServer(handle);
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(0, loopback, () => resolvePromise());
  });
  const { port } = server.address() as AddressInfo;

  const startOutage = (fault: OutageFault = { status: 503 }): Outage => {
    if (outage !== undefined) throw new Error('an outage is already on; end it first');
    let finish!: () => void;
    const current: Outage = {
      fault,
      ended: new Promise<void>((resolvePromise) => (finish = resolvePromise)),
      end() {
        if (outage === current) outage = undefined;
        finish();
      },
    };
    outage = current;
    for (const exchange of open) {
      // Answered already, only its 'close' still to come: nothing left to cut.
      if (exchange.res.writableFinished) continue;
      stats.fault(exchange.request, { cut: true }, 'outage');
      cut(exchange.res);
    }
    return current;
  };

  const endOutage = (): void => outage?.end();

  return {
    url: `http://${loopback}:${port}`,
    inject: (rule) => rules.inject(rule),
    clear: () => rules.clear(),
    startOutage: (fault) => void startOutage(fault),
    endOutage,
    async outage(ms, fault) {
      const current = startOutage(fault);
      // Its own end, not endOutage: the timer of an outage ended early must not end a later one.
      const timer = setTimeout(() => current.end(), ms);
      await current.ended;
      clearTimeout(timer);
    },
    stats: () => stats.snapshot(),
    async stop() {
      endOutage();
      const closed = new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
      server.closeAllConnections();
      await closed;
      upstream.close();
    },
  };
}

/** Breaks the client's connection off with a TCP reset, without a word: what a dying API server or a dropped network leaves. */
function cut(res: ServerResponse): void {
  if (!res.socket?.destroyed) res.socket?.resetAndDestroy();
}
