import { randomBytes, randomUUID } from 'node:crypto';
import { Dealer, Request, Subscriber } from 'zeromq';
import type { KernelConnectionInfo } from './connection-info.js';
import { fromWireFrames, MalformedMessageError, MessageSignatureError, newMessage, toWireFrames, type Channel, type JupyterMessage } from './messages.js';

export class KernelTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelTimeoutError';
  }
}

/** What a request, ready() or beats() still waiting when close() is called rejects with. */
export class KernelClientClosedError extends Error {
  constructor() {
    super('the kernel client was closed');
    this.name = 'KernelClientClosedError';
  }
}

type SendChannel = 'shell' | 'control' | 'stdin';

// jupyter_server nudges every 500 ms; a SUB subscription on a pod network is usually up within
// a few milliseconds, so a shorter period makes a WebSocket open sooner.
const nudgePeriodMs = 250;

/** ZeroMQ sockets to one kernel: DEALER shell/control/stdin (one routing id = the session), SUB iopub (all topics), REQ heartbeat. */
export class KernelClient {
  private readonly listeners = new Set<(message: JupyterMessage) => void>();
  private readonly dropListeners = new Set<(reason: string) => void>();
  private readonly waiting = new Set<(error: Error) => void>();
  private readonly sendQueues = new Map<SendChannel, Promise<void>>();
  private heartbeatQueue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly key: string,
    readonly session: string,
    private readonly username: string | undefined,
    private readonly dealers: Record<SendChannel, Dealer>,
    private readonly iopub: Subscriber,
    private readonly heartbeat: Request,
  ) {}

  /** `host` is where the kernel is reached (its pod IP): the `ip` in its connection info is what it bound, often 0.0.0.0. */
  static connect(info: KernelConnectionInfo, host: string, options: { session?: string; username?: string } = {}): KernelClient {
    const session = options.session ?? randomUUID();
    const ipv6 = host.includes(':');
    const endpoint = (port: number): string => (ipv6 ? `tcp://[${host}]:${port}` : `tcp://${host}:${port}`);
    const dealer = (port: number): Dealer => {
      const socket = new Dealer({ routingId: session, linger: 0, ipv6 });
      socket.connect(endpoint(port));
      return socket;
    };
    const dealers = { shell: dealer(info.shell_port), control: dealer(info.control_port), stdin: dealer(info.stdin_port) };
    const iopub = new Subscriber({ linger: 0, ipv6 });
    iopub.subscribe();
    iopub.connect(endpoint(info.iopub_port));
    // Relaxed and correlated: a ping that timed out does not block the next one, nor is its late echo taken for the next one's.
    const heartbeat = new Request({ linger: 0, ipv6, relaxed: true, correlate: true });
    heartbeat.connect(endpoint(info.hb_port));

    const client = new KernelClient(info.key, session, options.username, dealers, iopub, heartbeat);
    for (const channel of ['shell', 'control', 'stdin'] as const) void client.receive(channel, dealers[channel]);
    void client.receive('iopub', iopub);
    return client;
  }

  /** Every message the kernel sends on shell, control, stdin and iopub, with its channel set; a message failing its signature is dropped (reported via onDropped). */
  onMessage(listener: (message: JupyterMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onDropped(listener: (reason: string) => void): () => void {
    this.dropListeners.add(listener);
    return () => this.dropListeners.delete(listener);
  }

  send(channel: SendChannel, message: JupyterMessage): Promise<void> {
    if (this.closed) return Promise.reject(new KernelClientClosedError());
    const frames = toWireFrames(message, this.key);
    // zeromq.js refuses a second send while one waits (a DEALER at its high-water mark): queue them here.
    const sent = (this.sendQueues.get(channel) ?? Promise.resolve()).then(() => this.dealers[channel].send(frames));
    this.sendQueues.set(channel, sent.catch(() => undefined));
    return sent;
  }

  /** Sends msgType on channel and resolves with the reply whose parent_header.msg_id matches; rejects with KernelTimeoutError after timeoutMs. */
  request(channel: 'shell' | 'control', msgType: string, content: Record<string, unknown>, timeoutMs: number): Promise<JupyterMessage> {
    const message = newMessage(msgType, content, this.session, this.username);
    const { result, fail } = this.until(timeoutMs, `the kernel sent no reply to ${msgType} within ${timeoutMs} ms`, (candidate) =>
      candidate.channel === channel && candidate.parent_header.msg_id === message.header.msg_id ? candidate : undefined,
    );
    this.send(channel, message).catch(fail);
    return result;
  }

  /**
   * Like jupyter_server's nudge: kernel_info_request on shell and control (control answers even
   * while a cell runs) until a reply and an iopub message both arrived. The iopub message proves
   * the subscription is up, so output published after this is not lost to ZeroMQ's slow joiner.
   */
  ready(timeoutMs: number): Promise<JupyterMessage> {
    const nudges = new Set<string>();
    let reply: JupyterMessage | undefined;
    let subscribed = false;
    const { result, fail } = this.until(timeoutMs, `the kernel did not answer kernel_info_request on shell, control and iopub within ${timeoutMs} ms`, (message) => {
      if (message.channel === 'iopub') subscribed = true;
      else if (message.header.msg_type === 'kernel_info_reply' && nudges.has(message.parent_header.msg_id ?? '')) reply ??= message;
      return subscribed ? reply : undefined;
    });
    // Once iopub is up, more requests would only queue behind a busy kernel's work.
    const nudge = (): void => {
      if (subscribed) return;
      for (const channel of ['shell', 'control'] as const) {
        const request = newMessage('kernel_info_request', {}, this.session, this.username);
        nudges.add(request.header.msg_id);
        this.send(channel, request).catch(fail);
      }
    };
    nudge();
    const timer = setInterval(nudge, nudgePeriodMs);
    return result.finally(() => clearInterval(timer));
  }

  /** One heartbeat ping → echo within timeoutMs. */
  beats(timeoutMs: number): Promise<boolean> {
    const beat = this.heartbeatQueue.then(() => this.ping(timeoutMs));
    this.heartbeatQueue = beat.catch(() => undefined);
    return beat;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const socket of [...Object.values(this.dealers), this.iopub, this.heartbeat]) socket.close();
    for (const fail of [...this.waiting]) fail(new KernelClientClosedError());
  }

  private async ping(timeoutMs: number): Promise<boolean> {
    if (this.closed) throw new KernelClientClosedError();
    const token = randomBytes(16);
    const deadline = Date.now() + timeoutMs;
    try {
      this.heartbeat.sendTimeout = timeoutMs;
      await this.heartbeat.send(token);
      this.heartbeat.receiveTimeout = Math.max(0, deadline - Date.now());
      const [echo] = await this.heartbeat.receive();
      return echo !== undefined && echo.equals(token);
    } catch (error) {
      if (this.closed) throw new KernelClientClosedError();
      if ((error as { code?: unknown }).code === 'EAGAIN') return false;
      throw error;
    }
  }

  /** Settles with the first message `accept` maps to a value, or rejects on timeout, close or `fail`. */
  private until<T>(timeoutMs: number, timeoutMessage: string, accept: (message: JupyterMessage) => T | undefined): { result: Promise<T>; fail: (error: Error) => void } {
    let fail: (error: Error) => void = () => undefined;
    const result = new Promise<T>((resolve, reject) => {
      if (this.closed) return reject(new KernelClientClosedError());
      const timer = setTimeout(() => fail(new KernelTimeoutError(timeoutMessage)), timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        unsubscribe();
        this.waiting.delete(fail);
      };
      const unsubscribe = this.onMessage((message) => {
        const value = accept(message);
        if (value === undefined) return;
        finish();
        resolve(value);
      });
      fail = (error) => {
        finish();
        reject(error);
      };
      this.waiting.add(fail);
    });
    // The executor ran synchronously: `fail` is this wait's own by now.
    return { result, fail };
  }

  // A listener that throws ends this loop with an unhandled rejection: a bug, and loud.
  private async receive(channel: Channel, socket: Dealer | Subscriber): Promise<void> {
    while (!this.closed) {
      let frames: Buffer[];
      try {
        frames = await socket.receive();
      } catch (error) {
        if (!this.closed) this.drop(`the ${channel} socket stopped receiving: ${(error as Error).message}`);
        return;
      }
      this.dispatch(channel, frames);
    }
  }

  private dispatch(channel: Channel, frames: Buffer[]): void {
    let message: JupyterMessage;
    try {
      message = fromWireFrames(frames, this.key);
    } catch (error) {
      if (!(error instanceof MessageSignatureError || error instanceof MalformedMessageError)) throw error;
      this.drop(`a message on ${channel} was dropped: ${error.message}`);
      return;
    }
    message.channel = channel;
    for (const listener of [...this.listeners]) listener(message);
  }

  private drop(reason: string): void {
    for (const listener of [...this.dropListeners]) listener(reason);
  }
}
