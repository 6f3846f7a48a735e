import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo } from 'node:net';
import type { KernelConnectionInfo } from '../../src/jupyter/connection-info.js';
import { decodeLaunchPayload, LaunchPayloadError, newLaunchKeyPair, type LaunchKeyPair } from '../../src/jupyter/launch-keys.js';
import { LauncherCommandError, sendLauncherCommand } from '../../src/jupyter/launcher-commands.js';
import { ConnectBackClosedError, listenForConnectBack } from '../../src/jupyter/response-listener.js';

// Debian's Python, where python3-pycryptodome is installed (tools/install-debian-packages.sh).
const python = '/usr/bin/python3';

/**
 * What EG's launch_ipykernel.py does with the connection file once the kernel's ports are bound
 * (_encrypt and return_connection_info): the payload on stdout, or sent to each response address
 * in turn, one TCP connection each. `raw` payloads are sent as they are, before it.
 */
const launcher = String.raw`
import base64, json, socket, sys
from Cryptodome.Cipher import AES, PKCS1_v1_5
from Cryptodome.PublicKey import RSA
from Cryptodome.Random import get_random_bytes
from Cryptodome.Util.Padding import pad

def encrypt(connection_info_str, public_key):
    aes_key = get_random_bytes(16)
    cipher = AES.new(aes_key, mode=AES.MODE_ECB)
    b64_connection_info = base64.b64encode(cipher.encrypt(pad(connection_info_str, 16)))
    imported_public_key = RSA.importKey(base64.b64decode(public_key.encode()))
    encrypted_key = base64.b64encode(PKCS1_v1_5.new(key=imported_public_key).encrypt(aes_key))
    payload = {"version": 1, "key": encrypted_key.decode(), "conn_info": b64_connection_info.decode()}
    return base64.b64encode(json.dumps(payload).encode(encoding="utf-8"))

request = json.load(sys.stdin)
payloads = [raw.encode() for raw in request.get("raw", [])]
payloads += [encrypt(json.dumps(info).encode(encoding="utf-8"), request["public_key"]) for info in request["connection_infos"]]
if "response_address" not in request:
    sys.stdout.write(payloads[-1].decode())
    sys.exit(0)
host, port = request["response_address"].split(":")
for payload in payloads:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.connect((host, int(port)))
        s.send(payload)
`;

function runPython(script: string, input: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`python exited with ${code}: ${stderr}`))));
    child.stdin.end(JSON.stringify(input));
  });
}

const connectionInfo = (kernelId: string): KernelConnectionInfo => ({
  ip: '0.0.0.0', transport: 'tcp', key: 'f4f3a4ba-5d5b-4a0e-9c1e-4ad0f0f1d0aa', signature_scheme: 'hmac-sha256',
  shell_port: 52001, iopub_port: 52002, stdin_port: 52003, control_port: 52004, hb_port: 52005,
  kernel_name: 'python3', comm_port: 52006, pid: 7, pgid: 7, kernel_id: kernelId,
});

/** A version-1 envelope around an RSA block chosen by the test, to try paddings Cryptodome would never make. */
function envelopeWithBlock(keys: LaunchKeyPair, block: Buffer, aesKey: Buffer, info: unknown): Buffer {
  const cipher = createCipheriv('aes-128-ecb', aesKey, null);
  const connInfo = Buffer.concat([cipher.update(JSON.stringify(info)), cipher.final()]);
  const publicKey = createPublicKey({ key: Buffer.from(keys.publicKey, 'base64'), format: 'der', type: 'spki' });
  const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, block);
  const envelope = { version: 1, key: wrapped.toString('base64'), conn_info: connInfo.toString('base64') };
  return Buffer.from(Buffer.from(JSON.stringify(envelope)).toString('base64'));
}

/** 00 02, nonzero padding, 00, the 16-byte key: PKCS#1 v1.5 type 2 for a 2048-bit key, with its parts alterable. */
function type2Block(aesKey: Buffer, change: (block: Buffer) => void = () => undefined): Buffer {
  const block = Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(256 - 3 - 16, 0x5a), Buffer.from([0]), aesKey]);
  change(block);
  return block;
}

describe('decodeLaunchPayload', () => {
  const keys = newLaunchKeyPair();

  test('decodes what EG’s Python launcher (Cryptodome) sends', async () => {
    const payload = await runPython(launcher, { public_key: keys.publicKey, connection_infos: [connectionInfo('k-1')] });
    expect(decodeLaunchPayload(Buffer.from(payload), keys.privateKey)).toEqual(connectionInfo('k-1'));
  });

  test('refuses a payload encrypted to another key', async () => {
    const payload = await runPython(launcher, { public_key: newLaunchKeyPair().publicKey, connection_infos: [connectionInfo('k-1')] });
    const attempt = (): unknown => decodeLaunchPayload(Buffer.from(payload), keys.privateKey);
    expect(attempt).toThrow(LaunchPayloadError);
    expect(attempt).toThrow("the payload does not decrypt with this launch's key");
  });

  test('checks the PKCS#1 v1.5 type-2 padding itself', () => {
    const aesKey = randomBytes(16);
    const decode = (block: Buffer): unknown => decodeLaunchPayload(envelopeWithBlock(keys, block, aesKey, connectionInfo('k-1')), keys.privateKey);
    expect(decode(type2Block(aesKey))).toEqual(connectionInfo('k-1'));
    const malformed = [
      type2Block(aesKey, (block) => (block[1] = 1)), // type 1 (signatures)
      type2Block(aesKey, (block) => (block[0] = 1)),
      type2Block(aesKey, (block) => (block[100] = 0)), // a zero inside the padding: the key would be longer
      type2Block(aesKey, (block) => (block[239] = 7)), // no separator before the key
    ];
    for (const block of malformed) expect(() => decode(block)).toThrow("the payload does not decrypt with this launch's key");
  });

  test('refuses envelopes that are not version 1 base64 JSON, and names the bad connection field', () => {
    const encode = (value: unknown): Buffer => Buffer.from(Buffer.from(JSON.stringify(value)).toString('base64'));
    const refused = (payload: Buffer, reason: string): void => {
      expect(() => decodeLaunchPayload(payload, keys.privateKey)).toThrow(LaunchPayloadError);
      expect(() => decodeLaunchPayload(payload, keys.privateKey)).toThrow(reason);
    };
    refused(Buffer.from('not base64!'), 'the payload is not base64');
    refused(Buffer.from(Buffer.from('[1, 2').toString('base64')), 'not base64 of a JSON object');
    refused(encode({ version: 2, key: '', conn_info: '' }), "the payload's version must be 1");
    refused(encode({ version: 1, conn_info: '' }), "the payload's key must be a string");
    refused(encode({ version: 1, key: 'AAAA', conn_info: '' }), "the payload's key must be 256 bytes");
    refused(encode({ version: 1, key: 'AAAA', conn_info: '%%%%' }), 'the conn_info is not base64');
    const aesKey = randomBytes(16);
    const { key: secret, ...keyless } = connectionInfo('k-1');
    const attempt = (): unknown => decodeLaunchPayload(envelopeWithBlock(keys, type2Block(aesKey), aesKey, { ...keyless, key: '' }), keys.privateKey);
    expect(attempt).toThrow('connection info: key must be a non-empty string');
    expect(attempt).not.toThrow(secret);
  });
});

describe('listenForConnectBack', () => {
  test('waits through a bad payload and another kernel’s for the expected kernel’s connection info', async () => {
    const keys = newLaunchKeyPair();
    const rejected: string[] = [];
    const listener = await listenForConnectBack('127.0.0.1', keys, 'k-expected', (reason) => rejected.push(reason));
    try {
      expect(listener.address).toMatch(/^127\.0\.0\.1:\d+$/);
      await runPython(launcher, {
        public_key: keys.publicKey,
        response_address: listener.address,
        raw: ['definitely not a payload'],
        connection_infos: [connectionInfo('k-other'), connectionInfo('k-expected')],
      });
      await expect(listener.connection).resolves.toEqual(connectionInfo('k-expected'));
      expect(rejected).toHaveLength(2);
      expect(rejected.join('\n')).toContain('the payload is not base64');
      expect(rejected.join('\n')).toContain('it is for kernel k-other, not k-expected');
    } finally {
      await listener.close();
    }
  });

  test('refuses a payload over 64 KiB, and rejects the connection when closed first', async () => {
    const rejected: string[] = [];
    const listener = await listenForConnectBack('127.0.0.1', newLaunchKeyPair(), 'k-1', (reason) => rejected.push(reason));
    const [host, port] = listener.address.split(':');
    await new Promise<void>((resolve) => {
      const socket = connect({ host: host!, port: Number(port) }, () => socket.end(Buffer.alloc(65 * 1024, 0x41)));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
    });
    expect(rejected).toEqual([expect.stringContaining('more than 65536 bytes')]);
    await listener.close();
    await expect(listener.connection).rejects.toThrow(ConnectBackClosedError);
  });
});

describe('sendLauncherCommand', () => {
  /** EG's launcher side (get_server_request and server_listener): one JSON request per connection, until shutdown. */
  const commListener = String.raw`
import json, socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.bind(("127.0.0.1", 0))
sock.listen(1)
print(sock.getsockname()[1], flush=True)
shutdown = False
while not shutdown:
    conn, _ = sock.accept()
    data = ""
    while True:
        buffer = conn.recv(1024).decode("utf-8")
        if not buffer:
            break
        data = data + buffer
    conn.close()
    request = json.loads(data)
    print(json.dumps(request), flush=True)
    shutdown = bool(request.get("shutdown"))
`;

  test('delivers a signal and a shutdown to a launcher’s comm port', async () => {
    const child = spawn(python, ['-c', commListener], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let stdout = '';
      const exited = new Promise((resolve) => child.on('close', resolve));
      const port = await new Promise<number>((resolve) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes('\n')) resolve(Number(stdout.split('\n')[0]));
        });
      });
      await sendLauncherCommand('127.0.0.1', port, { signum: 2 }, 5_000);
      await sendLauncherCommand('127.0.0.1', port, { shutdown: 1 }, 5_000);
      await expect(exited).resolves.toBe(0);
      const requests = stdout.trim().split('\n').slice(1);
      expect(requests.map((line) => JSON.parse(line))).toEqual([{ signum: 2 }, { shutdown: 1 }]);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('fails with LauncherCommandError when nothing listens or the launcher never closes', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      await expect(sendLauncherCommand('127.0.0.1', port, { signum: 0 }, 200)).rejects.toThrow(/no close within 200 ms/);
    } finally {
      silent.close();
    }
    await expect(sendLauncherCommand('127.0.0.1', port, { signum: 0 }, 2_000)).rejects.toThrow(LauncherCommandError);
  });
});
