import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';

export interface Execution {
  status: string;
  stdout: string;
  ename?: string;
}

interface WireMessage {
  channel: string;
  header: { msg_id: string; msg_type: string };
  parent_header: { msg_id?: string };
  content: Record<string, any>;
}

/**
 * A Jupyter client of a kernel's channels WebSocket, speaking Jupyter's JSON protocol as
 * JupyterLab does (no subprotocol): executes code and collects what it printed.
 */
export class KernelChannels {
  private readonly session = randomUUID();
  private readonly listeners = new Set<(message: WireMessage) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as WireMessage;
      for (const listener of this.listeners) listener(message);
    });
  }

  /** Opens `<baseUrl>/api/kernels/<id>/channels` with `Authorization: token …`; rejects with the HTTP status when refused. */
  static async open(baseUrl: string, kernelId: string, token: string): Promise<KernelChannels> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/kernels/${kernelId}/channels?session_id=${randomUUID()}`, { headers: { authorization: `token ${token}` } });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_request, response) => reject(new Error(`WebSocket refused: HTTP ${response.statusCode}`)));
      socket.once('error', reject);
    });
    return new KernelChannels(socket);
  }

  get closed(): Promise<number> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) resolve(1006);
      else this.socket.once('close', (code) => resolve(code));
    });
  }

  /**
   * Sends one request on shell or control; the reply and the IOPub messages it caused, until the
   * kernel is idle again. `onIopub` sees each of those as it comes.
   */
  async request(
    channel: 'shell' | 'control', msgType: string, content: Record<string, unknown>, timeoutMs = 60_000, onIopub?: (message: WireMessage) => void,
  ): Promise<{ reply: WireMessage; iopub: WireMessage[] }> {
    const msgId = randomUUID();
    const iopub: WireMessage[] = [];
    let reply: WireMessage | undefined;
    let idle = false;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${msgType} within ${timeoutMs} ms`)), timeoutMs);
      const listener = (message: WireMessage): void => {
        if (message.parent_header.msg_id !== msgId) return;
        if (message.channel === 'iopub') {
          onIopub?.(message);
          iopub.push(message);
          if (message.header.msg_type === 'status' && message.content.execution_state === 'idle') idle = true;
        } else if (message.channel === channel) {
          reply = message;
        }
        if (reply && idle) {
          clearTimeout(timer);
          this.listeners.delete(listener);
          resolve();
        }
      };
      this.listeners.add(listener);
    });
    this.socket.send(JSON.stringify({
      channel,
      header: { msg_id: msgId, msg_type: msgType, session: this.session, username: 'test', date: new Date().toISOString(), version: '5.3' },
      parent_header: {}, metadata: {}, content,
    }));
    await done;
    return { reply: reply!, iopub };
  }

  async execute(code: string, timeoutMs = 60_000): Promise<Execution> {
    return await this.start(code, timeoutMs).done;
  }

  /** Executes code: `started` once the kernel began running it (its execute_input), `done` with what it printed. */
  start(code: string, timeoutMs = 60_000): { started: Promise<void>; done: Promise<Execution> } {
    let began: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (began = resolve));
    const done = this.request('shell', 'execute_request', {
      code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true,
    }, timeoutMs, (message) => {
      if (message.header.msg_type === 'execute_input') began();
    }).then(({ reply, iopub }) => {
      const stdout = iopub.filter((message) => message.header.msg_type === 'stream' && message.content.name === 'stdout').map((message) => String(message.content.text)).join('');
      return { status: String(reply.content.status), stdout, ...(reply.content.ename ? { ename: String(reply.content.ename) } : {}) };
    });
    return { started, done };
  }

  close(): void {
    this.socket.close();
  }
}
