import {
  createCipheriv, createDecipheriv, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject,
} from 'node:crypto';
import { sealedBoxScheme, type SealedBox } from '../domain/sealed-box.js';

/**
 * Sealing a secret to a one-time key: how a client-mode lease's token travels from the worker to
 * the API request that asked for it. The request makes the key pair and keeps the private key in
 * memory; only the public key goes through Temporal, and the box that comes back can be opened
 * by that request alone (not by the payload codec's keys, nor by anyone reading history later).
 * Hybrid: X25519 with an ephemeral key of the sender's, HKDF-SHA256, AES-256-GCM.
 */

export interface OneTimeKeyPair {
  /** X25519 SPKI DER, base64: what the request sends. */
  publicKey: string;
  /** Never serialised: it lives as long as the request. */
  privateKey: KeyObject;
}

/** A box that does not open: another key, another context, or altered on the way. */
export class SealedBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedBoxError';
  }
}

const keyBytes = 32;
const ivBytes = 12;
const tagBytes = 16;

export function oneTimeKeyPair(): OneTimeKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return { publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), privateKey };
}

function publicKeyFrom(base64: string, what: string): KeyObject {
  try {
    const key = createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType === 'x25519') return key;
  } catch {
    // Told below, in the same words as a key of another type.
  }
  throw new SealedBoxError(`${what} is not an X25519 public key (SPKI DER, base64)`);
}

/**
 * The AES key of one box: bound to both public keys (so a box cannot be re-addressed) and to
 * `context`, which names what the secret is for (the lease's workflow id).
 */
function boxKey(shared: Buffer, ephemeralKey: Buffer, recipientKey: Buffer, context: string): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralKey, recipientKey]), `${sealedBoxScheme}\0${context}`, keyBytes));
}

export function seal(plaintext: string, recipientPublicKey: string, context: string): SealedBox {
  const recipient = publicKeyFrom(recipientPublicKey, 'the recipient key');
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralKey = ephemeral.publicKey.export({ type: 'spki', format: 'der' });
  const key = boxKey(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient }), ephemeralKey,
    recipient.export({ type: 'spki', format: 'der' }), context);
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: tagBytes });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    scheme: sealedBoxScheme, ephemeralKey: ephemeralKey.toString('base64'), iv: iv.toString('base64'),
    ciphertext: ciphertext.toString('base64'), tag: cipher.getAuthTag().toString('base64'),
  };
}

export function open(box: SealedBox, privateKey: KeyObject, context: string): string {
  if (box.scheme !== sealedBoxScheme) throw new SealedBoxError(`unknown sealing scheme '${String(box.scheme)}'`);
  const ephemeral = publicKeyFrom(box.ephemeralKey, "the sender's key");
  const recipientKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const key = boxKey(diffieHellman({ privateKey, publicKey: ephemeral }), Buffer.from(box.ephemeralKey, 'base64'), recipientKey, context);
  const iv = Buffer.from(box.iv, 'base64');
  const tag = Buffer.from(box.tag, 'base64');
  if (iv.length !== ivBytes || tag.length !== tagBytes) throw new SealedBoxError('the sealed box is malformed');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: tagBytes });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(box.ciphertext, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new SealedBoxError('the sealed box does not open with this key: another key or context, or it was altered');
  }
}
