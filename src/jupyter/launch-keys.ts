import { constants, createDecipheriv, generateKeyPairSync, privateDecrypt, randomBytes, type KeyObject } from 'node:crypto';
import { ConnectionInfoError, parseConnectionInfo, type KernelConnectionInfo } from './connection-info.js';

/**
 * The key pair of one kernel launch. Enterprise Gateway's launchers encrypt the kernel's
 * connection info to the public key they are given (PUBLIC_KEY / --public-key), so the secret in it
 * crosses the pod network only as ciphertext.
 */
export interface LaunchKeyPair {
  /** base64 of the DER SubjectPublicKeyInfo: EG's PUBLIC_KEY */
  publicKey: string;
  privateKey: KeyObject;
}

/** Its messages never carry key material, neither ours nor the kernel's. */
export class LaunchPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LaunchPayloadError';
  }
}

const launcherVersion = 1;
const aesKeyBytes = 16;
const undecryptable = "the payload does not decrypt with this launch's key";

export function newLaunchKeyPair(): LaunchKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), privateKey };
}

/**
 * Version 1, as EG's launch_ipykernel.py makes it: base64(JSON {version, key, conn_info}) where key
 * is base64(RSA PKCS#1 v1.5 of a fresh AES-128 key) and conn_info is base64(AES-128-ECB of the
 * PKCS#7-padded connection file JSON).
 */
export function decodeLaunchPayload(payload: Buffer, privateKey: KeyObject): KernelConnectionInfo {
  const envelope = parseEnvelope(payload);
  const aesKey = unwrapAesKey(envelope.wrappedKey, privateKey);
  let candidate: unknown;
  try {
    const decipher = createDecipheriv('aes-128-ecb', aesKey, null);
    candidate = JSON.parse(Buffer.concat([decipher.update(envelope.connectionInfo), decipher.final()]).toString('utf8'));
  } catch {
    throw new LaunchPayloadError(undecryptable);
  }
  try {
    return parseConnectionInfo(candidate);
  } catch (error) {
    if (error instanceof ConnectionInfoError) throw new LaunchPayloadError(error.message);
    throw error;
  }
}

function parseEnvelope(payload: Buffer): { wrappedKey: Buffer; connectionInfo: Buffer } {
  let envelope: unknown;
  try {
    envelope = JSON.parse(strictBase64(payload.toString('latin1').trim(), 'payload').toString('utf8'));
  } catch (error) {
    if (error instanceof LaunchPayloadError) throw error;
    throw new LaunchPayloadError('the payload is not base64 of a JSON object');
  }
  if (typeof envelope !== 'object' || envelope === null) throw new LaunchPayloadError('the payload is not base64 of a JSON object');
  const { version, key, conn_info: connectionInfo } = envelope as Record<string, unknown>;
  if (version !== launcherVersion) throw new LaunchPayloadError(`the payload's version must be ${launcherVersion}`);
  if (typeof key !== 'string') throw new LaunchPayloadError("the payload's key must be a string");
  if (typeof connectionInfo !== 'string') throw new LaunchPayloadError("the payload's conn_info must be a string");
  return { wrappedKey: strictBase64(key, 'key'), connectionInfo: strictBase64(connectionInfo, 'conn_info') };
}

// Buffer.from(…, 'base64') skips whatever is not base64; a payload that is not exactly base64 is not a launcher's.
function strictBase64(text: string, field: string): Buffer {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new LaunchPayloadError(`the ${field} is not base64`);
  return Buffer.from(text, 'base64');
}

/**
 * Node 20 refuses RSA_PKCS1_PADDING for private decryption (CVE-2023-46809), so the type-2 block
 * 00 02 PS 00 M is checked here. The connect-back port takes payloads from anyone on the network,
 * so a bad block must not be told apart from a good one (Bleichenbacher's oracle): no branch on
 * its bytes, and a bad block yields a random AES key that fails later with the same message as any
 * other undecryptable payload, as Cryptodome's sentinel does for EG.
 */
function unwrapAesKey(wrapped: Buffer, privateKey: KeyObject): Buffer {
  const modulusBytes = (privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
  if (wrapped.length !== modulusBytes) throw new LaunchPayloadError(`the payload's key must be ${modulusBytes} bytes`);
  let block: Buffer;
  try {
    block = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, wrapped);
  } catch {
    throw new LaunchPayloadError(undecryptable);
  }
  // EG's launchers always wrap a 16-byte key, so the zero separator has one valid place.
  const separator = block.length - aesKeyBytes - 1;
  let invalid = block[0]! | (block[1]! ^ 0x02) | block[separator]!;
  for (let index = 2; index < separator; index += 1) invalid |= isZero(block[index]!);
  const keep = -isZero(invalid) & 0xff;
  const decoy = randomBytes(aesKeyBytes);
  const key = Buffer.alloc(aesKeyBytes);
  for (let index = 0; index < aesKeyBytes; index += 1) {
    key[index] = (block[separator + 1 + index]! & keep) | (decoy[index]! & ~keep & 0xff);
  }
  return key;
}

/** 1 for a zero byte, 0 for any other byte, without a data-dependent branch. */
function isZero(byte: number): number {
  return (byte - 1) >>> 31;
}
