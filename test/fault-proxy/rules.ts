/** What the proxy does to a request instead of, or before, forwarding it. */
export type Fault =
  /** Answered by the proxy with a Kubernetes Status of this code (after `delayMs`, if given); the API server never sees it. */
  | { status: number; delayMs?: number }
  /** The client's connection is reset without an answer (after `delayMs`, if given). */
  | { reset: true; delayMs?: number }
  /** Forwarded after this much latency. */
  | { delayMs: number };

export interface RuleMatch {
  /** Case-insensitive; absent: any method. */
  method?: string;
  /** Tested against path and query, e.g. `/api/v1/namespaces?limit=500`. */
  path?: RegExp;
  /** true: only watch requests (`?watch=true`, as client-node and kubectl ask); false: only the others. */
  watch?: boolean;
}

export interface FaultRule {
  /** Absent: every request. */
  match?: RuleMatch;
  fault: Fault;
  /** Chance (0..1, default 1) that a matching request gets the fault, rolled with the proxy's `random`. */
  probability?: number;
  /** The rule applies at most this many times, then removes itself. */
  times?: number;
}

export interface InjectedRule {
  /** How many requests the rule has hit so far. */
  readonly applied: number;
  /** Takes the rule out; a no-op once it is out (removed, cleared, or used up). */
  remove(): void;
}

/** The parts of a request rules match on. */
export interface RequestLine {
  method: string;
  /** Path and query, as the client sent them. */
  path: string;
  watch: boolean;
}

export function requestLine(method: string, path: string): RequestLine {
  const watch = new URL(path, 'http://proxy.invalid').searchParams.get('watch');
  return { method, path, watch: watch === 'true' || watch === '1' };
}

class ActiveRule implements InjectedRule {
  applied = 0;

  constructor(readonly rule: FaultRule, private readonly rules: ActiveRule[]) {}

  remove(): void {
    const index = this.rules.indexOf(this);
    if (index >= 0) this.rules.splice(index, 1);
  }

  matches(request: RequestLine): boolean {
    const { method, path, watch } = this.rule.match ?? {};
    if (method !== undefined && method.toUpperCase() !== request.method.toUpperCase()) return false;
    if (watch !== undefined && watch !== request.watch) return false;
    if (path === undefined) return true;
    // A /g or /y expression remembers where its last match ended; each request is tested afresh.
    path.lastIndex = 0;
    return path.test(request.path);
  }

  get usedUp(): boolean {
    return this.rule.times !== undefined && this.applied >= this.rule.times;
  }
}

function validate({ fault, probability, times }: FaultRule): void {
  const { status, reset, delayMs } = fault as { status?: number; reset?: boolean; delayMs?: number };
  if (status !== undefined && reset !== undefined) throw new RangeError('a fault either answers a status or resets, not both');
  if (status === undefined && reset === undefined && delayMs === undefined) throw new RangeError('a fault needs status, reset or delayMs');
  if (status !== undefined && !(Number.isInteger(status) && status >= 100 && status <= 599)) throw new RangeError(`status must be an HTTP status code, got ${status}`);
  if (reset !== undefined && reset !== true) throw new RangeError('reset must be true when given');
  if (delayMs !== undefined && !(Number.isFinite(delayMs) && delayMs >= 0)) throw new RangeError(`delayMs must be a non-negative number, got ${delayMs}`);
  if (probability !== undefined && !(probability >= 0 && probability <= 1)) throw new RangeError(`probability must be within 0..1, got ${probability}`);
  if (times !== undefined && !(Number.isInteger(times) && times >= 1)) throw new RangeError(`times must be a positive integer, got ${times}`);
}

/** The rules a test injected, tried in the order it injected them. */
export class FaultRules {
  private readonly active: ActiveRule[] = [];

  constructor(private readonly random: () => number) {}

  inject(rule: FaultRule): InjectedRule {
    validate(rule);
    const active = new ActiveRule({ ...rule }, this.active);
    this.active.push(active);
    return active;
  }

  clear(): void {
    this.active.length = 0;
  }

  /** The fault of the first rule that matches and wins its roll, which uses up one of its `times`. */
  take(request: RequestLine): Fault | undefined {
    const hit = this.active.find((active) => active.matches(request) && this.rolls(active.rule.probability ?? 1));
    if (hit === undefined) return undefined;
    hit.applied += 1;
    if (hit.usedUp) hit.remove();
    return hit.rule.fault;
  }

  // A certain rule does not roll, so one rule's probability does not shift another's draws.
  private rolls(probability: number): boolean {
    return probability >= 1 || this.random() < probability;
  }
}
