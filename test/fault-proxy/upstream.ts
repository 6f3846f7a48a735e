import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream';
import { answerWithStatus } from './status-answer.js';

// These describe one connection (client to proxy, or proxy to API server), not the request: each
// side's connection gets its own from Node.
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !hopByHop.has(name)));
}

/** The API server behind the proxy: its TLS verified against `caPem` (or the system's CAs) when it is https. */
export class Upstream {
  private readonly origin: URL;
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;

  constructor(url: string, caPem: string | undefined) {
    this.origin = new URL(url);
    if (this.origin.protocol === 'https:') {
      this.agent = new HttpsAgent({ keepAlive: true, ...(caPem !== undefined ? { ca: caPem } : {}) });
      this.send = httpsRequest;
    } else if (this.origin.protocol === 'http:') {
      this.agent = new HttpAgent({ keepAlive: true });
      this.send = httpRequest;
    } else {
      throw new RangeError(`upstream must be an http:// or https:// URL, got ${url}`);
    }
  }

  /**
   * Sends `req` on and streams the answer back into `res` as it comes, chunk by chunk, so a
   * watch's events reach the client one by one. Whichever side goes away first takes the other
   * exchange with it: a client that hangs up (or is cut) ends the upstream request, and an API
   * server that breaks off mid-answer breaks off the client's.
   */
  forward(req: IncomingMessage, res: ServerResponse): void {
    const outgoing = this.send({
      protocol: this.origin.protocol,
      hostname: this.origin.hostname,
      port: this.origin.port,
      method: req.method,
      path: req.url,
      headers: { ...endToEnd(req.headers), host: this.origin.host },
      agent: this.agent,
    }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.headers));
      // A watch's first event may be minutes away; its client is waiting for the headers now.
      res.flushHeaders();
      pipeline(answer, res, (error) => {
        if (error) res.destroy();
      });
    });
    outgoing.on('error', (error) => {
      if (res.headersSent) res.destroy();
      else answerWithStatus(res, 502, `fault proxy: the API server could not be reached: ${error.message}`);
    });
    res.on('close', () => {
      if (!res.writableFinished) outgoing.destroy();
    });
    req.pipe(outgoing);
  }

  /** Closes the kept-alive connections to the API server. */
  close(): void {
    this.agent.destroy();
  }
}
