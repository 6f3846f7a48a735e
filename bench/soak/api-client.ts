/** One answer of the API as the soak's clients saw it; status 0: no answer (refused, reset, timed out). */
export interface RecordedCall {
  at: number;
  method: string;
  path: string;
  status: number;
  ms: number;
}

export interface Answer {
  status: number;
  /** The JSON answered, or the text when it is not JSON. */
  body: unknown;
}

/**
 * The soak's HTTP client of the orchestrator's API: every call recorded (time, route, status) and
 * every answer handed to `inspect` (the secret scan) before the caller sees it.
 */
export class SoakApiClient {
  readonly calls: RecordedCall[] = [];

  constructor(private readonly baseUrl: string, private readonly token: string, private readonly inspect: (what: string, text: string) => void) {}

  async call(method: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<Answer> {
    const at = Date.now();
    let status = 0;
    let text = '';
    try {
      const response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch {
      // No answer: the API is down or the call timed out; the caller decides whether to try again.
    }
    this.calls.push({ at, method, path, status, ms: Date.now() - at });
    if (text) this.inspect(`API answer to ${method} ${path}`, text);
    return { status, body: parseJson(text) };
  }

  /**
   * `call` again while there is no answer or a 5xx (the API or Temporal down, as a client would
   * retry), at most `attempts` times; every request in it is idempotent (ids chosen by the client).
   */
  async retried(method: string, path: string, body?: unknown, attempts = 30): Promise<Answer> {
    let answer: Answer = { status: 0, body: undefined };
    for (let attempt = 0; attempt < attempts; attempt++) {
      answer = await this.call(method, path, body);
      if (answer.status !== 0 && answer.status < 500) return answer;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    return answer;
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) as unknown : undefined;
  } catch {
    return text;
  }
}
