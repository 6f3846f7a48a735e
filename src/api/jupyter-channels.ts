import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { KernelEndpoint } from '../client/kernel-gateway.js';
import type { KernelsClient } from '../client/kernels.js';
import { clientLeaseMs, clientLeaseRenewMs, type KernelStatus } from '../domain/kernel-session.js';
import { KernelClient } from '../jupyter/kernel-client.js';
import type { JupyterMessage } from '../jupyter/messages.js';
import { decodeWebSocketMessage, encodeWebSocketMessage, type WebSocketProtocol } from '../jupyter/websocket-protocol.js';

/** How often a bridge looks whether its kernel was restarted or ended, which closes it. */
const sessionLookMs = 3_000;
/** Before this, messages from the client wait: IOPub output sent earlier would be lost to ZeroMQ's slow joiner. */
const readyTimeoutMs = 30_000;
/** The client's own requests whose replies it gets; bounded, the oldest forgotten first. */
const maxPendingRequests = 10_000;

/** WebSocket close codes: the kernel went away (a client reconnects and finds the new one), or the bridge failed. */
const goingAway = 1001;
const internalError = 1011;

/**
 * One client's WebSocket on a kernel's channels, bridged to the kernel's ZeroMQ sockets with
 * sockets of its own, as Jupyter Server does for each connection: replies come back to the one
 * who asked, IOPub to all. Only its own requests' replies reach it (not the readiness nudge's).
 * While it is open its client holds a lease on the session (for culling), renewed here; the
 * bridge closes when the kernel restarts or ends, and the client reconnects to what runs then.
 * Nothing here is state another replica needs: any replica bridges any kernel.
 */
export function bridgeChannels(
  socket: WebSocket, protocol: WebSocketProtocol, status: KernelStatus, endpoint: KernelEndpoint, kernels: KernelsClient, log: FastifyBaseLogger,
): void {
  const connection = randomUUID();
  const kernelId = status.kernelId;
  const kernel = KernelClient.connect(endpoint.info, endpoint.host);
  const asked = new Set<string>();
  let ready = false;
  const waiting: JupyterMessage[] = [];
  let closed = false;

  const lease = (until: number): void => {
    kernels.holdLease(kernelId, { connection, until }).catch((error: unknown) => log.warn({ err: error, kernelId }, 'could not renew the client lease'));
  };
  const close = (code: number, reason: string): void => {
    if (closed) return;
    closed = true;
    clearInterval(renew);
    clearInterval(look);
    kernel.close();
    lease(0);
    if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason);
  };

  const forward = (message: JupyterMessage): void => {
    const channel = message.channel;
    if (channel !== 'shell' && channel !== 'control' && channel !== 'stdin') return;
    asked.add(message.header.msg_id);
    if (asked.size > maxPendingRequests) asked.delete(asked.values().next().value!);
    kernel.send(channel, message).catch((error: unknown) => {
      log.warn({ err: error, kernelId }, 'could not send to the kernel');
      close(internalError, 'the kernel cannot be reached');
    });
  };

  kernel.onMessage((message) => {
    // Replies go to the one who asked; the readiness nudge's own traffic goes to nobody.
    if (message.channel === 'iopub' ? message.parent_header.session === kernel.session : !asked.has(String(message.parent_header.msg_id))) return;
    if (socket.readyState !== socket.OPEN) return;
    const frame = encodeWebSocketMessage(message, protocol);
    socket.send(frame.data, { binary: frame.binary });
  });
  kernel.onDropped((reason) => log.warn({ kernelId, reason }, 'dropped a message from the kernel'));

  socket.on('message', (data: Buffer, isBinary: boolean) => {
    let message: JupyterMessage;
    try {
      message = decodeWebSocketMessage(isBinary ? data : data.toString('utf8'), isBinary, protocol);
    } catch (error) {
      log.warn({ kernelId, reason: (error as Error).message }, 'refused a message from the client');
      return;
    }
    if (ready) forward(message);
    else waiting.push(message);
  });
  socket.on('close', () => close(goingAway, 'client gone'));
  socket.on('error', (error) => log.warn({ err: error, kernelId }, 'client WebSocket failed'));

  lease(Date.now() + clientLeaseMs);
  const renew = setInterval(() => lease(Date.now() + clientLeaseMs), clientLeaseRenewMs);
  const look = setInterval(() => {
    kernels.status(kernelId).then((now) => {
      if (now.phase !== 'RUNNING') close(goingAway, `the kernel is ${now.phase}`);
      else if (now.launchedAt !== status.launchedAt) close(goingAway, 'the kernel was restarted');
    }, (error: unknown) => log.warn({ err: error, kernelId }, 'could not look at the kernel session'));
  }, sessionLookMs);

  kernel.ready(readyTimeoutMs).then(() => {
    if (closed) return;
    ready = true;
    for (const message of waiting.splice(0)) forward(message);
  }, (error: unknown) => {
    if (closed) return;
    log.warn({ err: error, kernelId }, 'the kernel did not answer on its channels');
    close(internalError, 'the kernel does not answer');
  });
}
