import { describe, expect, test } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { ConnectionInfoError, parseConnectionInfo } from '../../src/jupyter/connection-info.js';
import { fromWireFrames, MalformedMessageError, MessageSignatureError, newMessage, toWireFrames, type JupyterMessage } from '../../src/jupyter/messages.js';
import { decodeWebSocketMessage, encodeWebSocketMessage, WebSocketMessageError } from '../../src/jupyter/websocket-protocol.js';

const key = 'a0436f6c-1916-498b-8eb9-e81ab9368e84';

function executeRequest(buffers?: Buffer[]): JupyterMessage {
  const message = newMessage('execute_request', { code: 'print("é")', silent: false }, 'session-1', 'alice');
  message.parent_header = { msg_id: 'parent-1', msg_type: 'kernel_info_request' };
  message.metadata = { cellId: 'c1' };
  if (buffers) message.buffers = buffers;
  return message;
}

describe('connection info', () => {
  const required = {
    ip: '0.0.0.0', transport: 'tcp', key, signature_scheme: 'hmac-sha256',
    shell_port: 52001, iopub_port: 52002, stdin_port: 52003, control_port: 52004, hb_port: 52005,
  };
  const optional = { kernel_name: 'python3', comm_port: 52006, pid: 12, pgid: 12, kernel_id: 'k-1' };
  const valid = { ...required, ...optional };

  test('keeps the known fields of a valid file and drops the others', () => {
    expect(parseConnectionInfo({ ...valid, extra: 'dropped' })).toEqual(valid);
    expect(parseConnectionInfo(required)).toEqual(required);
  });

  test("an empty kernel_name, as jupyter_client writes it when it knows none, is no kernel name", () => {
    expect(parseConnectionInfo({ ...valid, kernel_name: '' })).toEqual({ ...required, comm_port: 52006, pid: 12, pgid: 12, kernel_id: 'k-1' });
  });

  test.each([
    ['ip', { ip: 7 }],
    ['transport', { transport: 'ipc' }],
    ['key', { key: '' }],
    ['key', { key: undefined }],
    ['signature_scheme', { signature_scheme: 'hmac-md5' }],
    ['shell_port', { shell_port: 0 }],
    ['hb_port', { hb_port: 65_536 }],
    ['iopub_port', { iopub_port: '52002' }],
    ['comm_port', { comm_port: 1.5 }],
    ['pid', { pid: -1 }],
    ['kernel_id', { kernel_id: 42 }],
    ['kernel_name', { kernel_name: 3 }],
  ])('names the bad field %s', (field, change) => {
    const attempt = (): unknown => parseConnectionInfo({ ...valid, ...change });
    expect(attempt).toThrow(ConnectionInfoError);
    expect(attempt).toThrow(new RegExp(`^connection info: ${field} `));
  });

  test('refuses what is not an object, and never repeats a value', () => {
    for (const candidate of [null, [], 'text', 3]) expect(() => parseConnectionInfo(candidate)).toThrow(ConnectionInfoError);
    expect(() => parseConnectionInfo({ ...valid, shell_port: key })).toThrow(/^connection info: shell_port must be an integer port from 1 to 65535$/);
  });
});

describe('ZeroMQ wire frames', () => {
  test('round trip, buffers included, with a signature jupyter_client computes the same way', () => {
    const message = executeRequest([Buffer.from([0, 1, 2]), Buffer.alloc(0)]);
    const frames = toWireFrames(message, key);
    expect(frames[0]!.toString()).toBe('<IDS|MSG>');
    const expected = createHmac('sha256', key);
    for (const part of frames.slice(2, 6)) expected.update(part);
    expect(frames[1]!.toString()).toBe(expected.digest('hex'));
    expect(JSON.parse(frames[5]!.toString('utf8'))).toEqual(message.content);
    expect(fromWireFrames(frames, key)).toEqual(message);
  });

  test('skips routing identities and the iopub topic before the delimiter', () => {
    const message = executeRequest();
    const frames = [Buffer.from('router-identity'), Buffer.from('kernel.k-1.status'), ...toWireFrames(message, key)];
    expect(fromWireFrames(frames, key)).toEqual({ ...message, buffers: [] });
  });

  test('refuses a wrong key, an altered part and a missing signature', () => {
    const frames = toWireFrames(executeRequest(), key);
    expect(() => fromWireFrames(frames, 'another-key')).toThrow(MessageSignatureError);
    const altered = [...frames];
    altered[5] = Buffer.from(JSON.stringify({ code: 'import os; os.system("rm -rf /")' }));
    expect(() => fromWireFrames(altered, key)).toThrow(MessageSignatureError);
    const unsigned = [...frames];
    unsigned[1] = Buffer.alloc(0);
    expect(() => fromWireFrames(unsigned, key)).toThrow(MessageSignatureError);
  });

  test('refuses malformed frames', () => {
    const frames = toWireFrames(executeRequest(), key);
    expect(() => fromWireFrames(frames.slice(1), key)).toThrow(MalformedMessageError);
    expect(() => fromWireFrames(frames.slice(0, 5), key)).toThrow(MalformedMessageError);
    const notJson = [Buffer.from('not json'), Buffer.from('{}'), Buffer.from('{}'), Buffer.from('{}')];
    const signed = (parts: Buffer[]): Buffer[] => {
      const hmac = createHmac('sha256', key);
      for (const part of parts) hmac.update(part);
      return [Buffer.from('<IDS|MSG>'), Buffer.from(hmac.digest('hex')), ...parts];
    };
    expect(() => fromWireFrames(signed(notJson), key)).toThrow('the header is not JSON');
    expect(() => fromWireFrames(signed([Buffer.from('{}'), Buffer.from('{}'), Buffer.from('{}'), Buffer.from('{}')]), key)).toThrow(MalformedMessageError);
  });

  test('a new message carries a fresh id, its session and protocol 5.3', () => {
    const first = newMessage('kernel_info_request', {}, 'session-1');
    const second = newMessage('kernel_info_request', {}, 'session-1');
    expect(first.header).toMatchObject({ msg_type: 'kernel_info_request', session: 'session-1', version: '5.3' });
    expect(first.header.msg_id).not.toBe(second.header.msg_id);
    expect(new Date(first.header.date).getTime()).toBeGreaterThan(0);
  });
});

describe('WebSocket protocols', () => {
  const fromKernel = (buffers?: Buffer[]): JupyterMessage => ({ ...executeRequest(buffers), channel: 'iopub' });

  /** The layout jupyter_server's serialize_msg_to_ws_v1 writes, built independently. */
  function v1Frame(channel: string, parts: Array<string | Buffer>): Buffer {
    const bodies = [channel, ...parts].map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part));
    const offsets = [8 * (1 + 1 + parts.length + 1)];
    for (const body of bodies) offsets.push(offsets.at(-1)! + body.length);
    const table = Buffer.alloc(8 * (offsets.length + 1));
    table.writeBigUInt64LE(BigInt(offsets.length), 0);
    offsets.forEach((offset, index) => table.writeBigUInt64LE(BigInt(offset), 8 * (index + 1)));
    return Buffer.concat([table, ...bodies]);
  }

  test('v1: binary frames in jupyter_server’s layout, round trip with buffers', () => {
    const message = fromKernel([Buffer.from('buffer-0'), Buffer.from([255, 0])]);
    const { data, binary } = encodeWebSocketMessage(message, 'v1');
    expect(binary).toBe(true);
    const parts = [message.header, message.parent_header, message.metadata, message.content].map((part) => JSON.stringify(part));
    expect(data).toEqual(v1Frame('iopub', [...parts, Buffer.from('buffer-0'), Buffer.from([255, 0])]));
    const fromClient = v1Frame('shell', [...parts, Buffer.from('buffer-0')]);
    expect(decodeWebSocketMessage(fromClient, true, 'v1')).toEqual({ ...message, channel: 'shell', buffers: [Buffer.from('buffer-0')] });
  });

  test('a client’s null parent header is an empty one', () => {
    const message = executeRequest();
    const frame = v1Frame('control', [JSON.stringify(message.header), 'null', '{}', '{}']);
    expect(decodeWebSocketMessage(frame, true, 'v1')).toMatchObject({ channel: 'control', parent_header: {}, buffers: [] });
  });

  test('json: text without buffers, legacy binary with them', () => {
    const plain = fromKernel();
    const text = encodeWebSocketMessage(plain, 'json');
    expect(text.binary).toBe(false);
    expect(JSON.parse(text.data as string)).toEqual({
      channel: 'iopub', header: plain.header, msg_id: plain.header.msg_id, msg_type: 'execute_request',
      parent_header: plain.parent_header, metadata: plain.metadata, content: plain.content, buffers: [],
    });

    const withBuffers = fromKernel([Buffer.from('abc'), Buffer.from('defg')]);
    const { data, binary } = encodeWebSocketMessage(withBuffers, 'json');
    expect(binary).toBe(true);
    const frame = data as Buffer;
    // serialize_binary_message: nbufs, then where each part starts, big-endian uint32.
    expect(frame.readUInt32BE(0)).toBe(3);
    const starts = [frame.readUInt32BE(4), frame.readUInt32BE(8), frame.readUInt32BE(12)];
    expect(starts[0]).toBe(16);
    expect(frame.subarray(starts[1], starts[2]).toString()).toBe('abc');
    expect(frame.subarray(starts[2]).toString()).toBe('defg');
    expect(JSON.parse(frame.subarray(starts[0], starts[1]).toString('utf8'))).toMatchObject({ channel: 'iopub', content: plain.content });
  });

  test('json: a client’s text and binary frames, without a channel meaning shell', () => {
    const message = executeRequest();
    const { header, parent_header, metadata, content } = message;
    expect(decodeWebSocketMessage(JSON.stringify({ channel: 'stdin', header, parent_header, metadata, content }), false, 'json')).toEqual({
      ...message, channel: 'stdin', buffers: [],
    });
    expect(decodeWebSocketMessage(Buffer.from(JSON.stringify({ header, parent_header, metadata, content })), false, 'json').channel).toBe('shell');
    const binary = encodeWebSocketMessage({ ...message, channel: 'shell', buffers: [Buffer.from('x')] }, 'json').data as Buffer;
    expect(decodeWebSocketMessage(binary, true, 'json')).toEqual({ ...message, channel: 'shell', buffers: [Buffer.from('x')] });
  });

  test('refuses bad JSON, a channel a client cannot send on, and malformed offsets', () => {
    const message = executeRequest();
    const parts = [message.header, message.parent_header, message.metadata, message.content].map((part) => JSON.stringify(part));
    const refused = (data: Buffer | string, isBinary: boolean, protocol: 'v1' | 'json', reason: string | RegExp): void => {
      expect(() => decodeWebSocketMessage(data, isBinary, protocol)).toThrow(WebSocketMessageError);
      expect(() => decodeWebSocketMessage(data, isBinary, protocol)).toThrow(reason);
    };
    refused('{not json', false, 'json', 'the message is not JSON');
    refused(JSON.stringify({ channel: 'iopub', header: message.header, parent_header: {}, metadata: {}, content: {} }), false, 'json', 'not on "iopub"');
    refused(JSON.stringify({ channel: 'shell', header: { msg_id: 'm' }, parent_header: {}, metadata: {}, content: {} }), false, 'json', 'msg_id and msg_type');
    refused(JSON.stringify({ channel: 'shell', header: message.header, parent_header: {}, metadata: {}, content: [] }), false, 'json', 'the content must be a JSON object');
    refused(v1Frame('hb', parts), true, 'v1', 'not on "hb"');
    refused(v1Frame('shell', [parts[0]!, '{', parts[2]!, parts[3]!]), true, 'v1', 'the parent_header is not JSON');
    refused(v1Frame('shell', parts.slice(0, 3)), true, 'v1', 'four JSON parts');
    refused(JSON.stringify({}), false, 'v1', 'binary frames only');
    refused(Buffer.alloc(4), true, 'v1', 'truncated');
    const outOfFrame = v1Frame('shell', parts);
    outOfFrame.writeBigUInt64LE(BigInt(outOfFrame.length + 1), 8 * 6);
    refused(outOfFrame, true, 'v1', 'outside the frame');
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(2n ** 62n, 0);
    refused(huge, true, 'v1', 'truncated');
    const backwards = Buffer.alloc(12);
    backwards.writeUInt32BE(2, 0);
    backwards.writeUInt32BE(12, 4);
    backwards.writeUInt32BE(4, 8);
    refused(backwards, true, 'json', 'out of order');
  });

  test('refuses to encode a message without its channel', () => {
    expect(() => encodeWebSocketMessage(executeRequest(), 'v1')).toThrow(WebSocketMessageError);
  });
});
