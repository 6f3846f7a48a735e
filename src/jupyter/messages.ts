import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Jupyter messages and their ZeroMQ wire form, as jupyter_client's Session writes and reads them
 * (messaging protocol 5.3, HMAC-SHA256 signatures).
 */
export type Channel = 'shell' | 'control' | 'stdin' | 'iopub';

export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
  [k: string]: unknown;
}

export interface JupyterMessage {
  channel?: Channel;
  header: MessageHeader;
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  buffers?: Buffer[];
}

export class MessageSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MessageSignatureError';
  }
}

/** Frames that are not a Jupyter message: no delimiter, too few parts, or parts that are not JSON objects. */
export class MalformedMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedMessageError';
  }
}

export const protocolVersion = '5.3';
const delimiter = Buffer.from('<IDS|MSG>');

export function newMessage(msgType: string, content: Record<string, unknown>, session: string, username = 'compute-orchestrator'): JupyterMessage {
  return {
    header: { msg_id: randomUUID(), msg_type: msgType, session, username, date: new Date().toISOString(), version: protocolVersion },
    parent_header: {},
    metadata: {},
    content,
  };
}

/** ZeroMQ frames: ['<IDS|MSG>', hmac-sha256 hex, header, parent_header, metadata, content, ...buffers] (JSON as UTF-8). */
export function toWireFrames(message: JupyterMessage, key: string): Buffer[] {
  const parts = [message.header, message.parent_header, message.metadata, message.content].map((part) => Buffer.from(JSON.stringify(part), 'utf8'));
  return [delimiter, Buffer.from(sign(parts, key), 'ascii'), ...parts, ...(message.buffers ?? [])];
}

/** Skips routing identities (and iopub's topic) before the delimiter; the signature covers the four JSON parts, not the buffers. */
export function fromWireFrames(frames: Buffer[], key: string): JupyterMessage {
  const start = frames.findIndex((frame) => frame.equals(delimiter));
  if (start < 0) throw new MalformedMessageError('no <IDS|MSG> delimiter');
  const [signature, ...rest] = frames.slice(start + 1);
  if (signature === undefined || rest.length < 4) throw new MalformedMessageError('fewer than the signature and four JSON parts after the delimiter');
  const parts = rest.slice(0, 4);
  const expected = Buffer.from(sign(parts, key), 'ascii');
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
    throw new MessageSignatureError('the message signature does not match the connection key');
  }
  const [header, parentHeader, metadata, content] = parts.map((part, index) => jsonObject(part, partNames[index]!));
  if (typeof header!.msg_id !== 'string' || typeof header!.msg_type !== 'string') {
    throw new MalformedMessageError('the header has no string msg_id and msg_type');
  }
  return {
    header: header as MessageHeader,
    parent_header: parentHeader as Partial<MessageHeader>,
    metadata: metadata!,
    content: content!,
    buffers: rest.slice(4),
  };
}

const partNames = ['header', 'parent_header', 'metadata', 'content'];

function sign(parts: Buffer[], key: string): string {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest('hex');
}

function jsonObject(part: Buffer, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(part.toString('utf8'));
  } catch {
    throw new MalformedMessageError(`the ${name} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MalformedMessageError(`the ${name} is not a JSON object`);
  return value as Record<string, unknown>;
}
