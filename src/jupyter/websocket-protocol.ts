import type { Channel, JupyterMessage, MessageHeader } from './messages.js';

/**
 * Jupyter Server's two WebSocket encodings of kernel messages (jupyter_server's
 * services/kernels/connection/base.py). v1 (the subprotocol below): a binary frame of
 * little-endian uint64 offsets then channel, header, parent_header, metadata, content and buffers.
 * The legacy one, chosen when the client asks for no subprotocol: JSON text with a `channel` key,
 * or when there are buffers a binary frame of big-endian uint32 offsets, that JSON, then buffers.
 */
export const kernelWebSocketV1 = 'v1.kernel.websocket.jupyter.org';
export type WebSocketProtocol = 'v1' | 'json';

export class WebSocketMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebSocketMessageError';
  }
}

const clientChannels: readonly string[] = ['shell', 'control', 'stdin'];
const jsonParts = ['header', 'parent_header', 'metadata', 'content'] as const;

export function decodeWebSocketMessage(data: Buffer | string, isBinary: boolean, protocol: WebSocketProtocol): JupyterMessage {
  if (protocol === 'v1') {
    if (!isBinary) throw new WebSocketMessageError(`${kernelWebSocketV1} takes binary frames only`);
    return decodeV1(toBuffer(data));
  }
  if (!isBinary) return fromLegacyJson(toBuffer(data).toString('utf8'), []);
  const [json, ...buffers] = split(toBuffer(data), 4);
  return fromLegacyJson(json!.toString('utf8'), buffers);
}

export function encodeWebSocketMessage(message: JupyterMessage, protocol: WebSocketProtocol): { data: Buffer | string; binary: boolean } {
  if (message.channel === undefined) throw new WebSocketMessageError('a message for the client needs its channel');
  const buffers = message.buffers ?? [];
  if (protocol === 'v1') {
    const parts = jsonParts.map((name) => Buffer.from(JSON.stringify(message[name]), 'utf8'));
    return { data: join([Buffer.from(message.channel, 'utf8'), ...parts, ...buffers], 8), binary: true };
  }
  // jupyter_server sends what Session.deserialize makes, msg_id and msg_type included.
  const { header, parent_header, metadata, content, channel } = message;
  const fields = { header, msg_id: header.msg_id, msg_type: header.msg_type, parent_header, metadata, content, channel };
  if (buffers.length === 0) return { data: JSON.stringify({ ...fields, buffers: [] }), binary: false };
  return { data: join([Buffer.from(JSON.stringify(fields), 'utf8'), ...buffers], 4), binary: true };
}

function decodeV1(frame: Buffer): JupyterMessage {
  const [channel, ...parts] = split(frame, 8);
  if (parts.length < jsonParts.length) throw new WebSocketMessageError('a v1 frame needs a channel and four JSON parts');
  const fields = Object.fromEntries(jsonParts.map((name, index) => [name, parseJson(parts[index]!.toString('utf8'), name)]));
  return toMessage(channel!.toString('utf8'), fields, parts.slice(jsonParts.length));
}

function fromLegacyJson(text: string, buffers: Buffer[]): JupyterMessage {
  const fields = parseJson(text, 'message');
  if (!isObject(fields)) throw new WebSocketMessageError('the message must be a JSON object');
  // jupyter_server assumes shell when a legacy client names no channel.
  const channel = fields.channel ?? 'shell';
  if (typeof channel !== 'string') throw new WebSocketMessageError('the channel must be a string');
  return toMessage(channel, fields, buffers);
}

function toMessage(channel: string, fields: Record<string, unknown>, buffers: Buffer[]): JupyterMessage {
  if (!clientChannels.includes(channel)) throw new WebSocketMessageError(`a client may send on shell, control or stdin, not on "${channel}"`);
  const header = objectField(fields, 'header');
  if (typeof header.msg_id !== 'string' || typeof header.msg_type !== 'string') {
    throw new WebSocketMessageError('the header needs a string msg_id and msg_type');
  }
  return {
    channel: channel as Channel,
    header: header as MessageHeader,
    // JupyterLab's message type allows null for a message without a parent; its v1 encoder sends {} instead, others may not.
    parent_header: fields.parent_header === null ? {} : objectField(fields, 'parent_header'),
    metadata: objectField(fields, 'metadata'),
    content: objectField(fields, 'content'),
    buffers,
  };
}

function objectField(fields: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = fields[name];
  if (!isObject(value)) throw new WebSocketMessageError(`the ${name} must be a JSON object`);
  return value;
}

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new WebSocketMessageError(`the ${name} is not JSON`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toBuffer(data: Buffer | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/**
 * The two layouts differ in integer width and in where the last part ends: v1 (8-byte) lists
 * every boundary including the end, legacy (4-byte) lists where each part starts.
 */
function join(parts: Buffer[], width: 4 | 8): Buffer {
  const boundaries = width === 8 ? parts.length + 1 : parts.length;
  const table = Buffer.alloc(width * (boundaries + 1));
  let offset = table.length;
  writeInteger(table, 0, boundaries, width);
  parts.forEach((part, index) => {
    writeInteger(table, width * (index + 1), offset, width);
    offset += part.length;
  });
  if (width === 8) writeInteger(table, width * boundaries, offset, width);
  return Buffer.concat([table, ...parts]);
}

function split(frame: Buffer, width: 4 | 8): Buffer[] {
  const count = readInteger(frame, 0, width);
  if (count === undefined || count < 1 || frame.length < width * (count + 1)) throw new WebSocketMessageError('the offset table is truncated');
  const offsets = Array.from({ length: count }, (_, index) => readInteger(frame, width * (index + 1), width)!);
  if (width === 4) offsets.push(frame.length);
  if (offsets[0]! < width * (count + 1) || offsets.at(-1)! > frame.length || offsets.some((offset, index) => index > 0 && offset < offsets[index - 1]!)) {
    throw new WebSocketMessageError('the offsets are out of order or outside the frame');
  }
  return offsets.slice(0, -1).map((start, index) => frame.subarray(start, offsets[index + 1]));
}

function writeInteger(table: Buffer, at: number, value: number, width: 4 | 8): void {
  if (width === 8) table.writeBigUInt64LE(BigInt(value), at);
  else table.writeUInt32BE(value, at);
}

function readInteger(frame: Buffer, at: number, width: 4 | 8): number | undefined {
  if (frame.length < at + width) return undefined;
  if (width === 4) return frame.readUInt32BE(at);
  const value = frame.readBigUInt64LE(at);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(value);
}
