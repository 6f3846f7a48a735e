/**
 * A secret sealed to one request's one-time key (src/codec/sealed-box.ts seals and opens it):
 * public parts and an authenticated ciphertext, base64. Declared here so that workflows, which
 * carry it without being able to open it, know its shape.
 */
export const sealedBoxScheme = 'X25519-HKDF-SHA256-A256GCM';

export interface SealedBox {
  scheme: typeof sealedBoxScheme;
  /** The sender's ephemeral X25519 public key (SPKI DER). */
  ephemeralKey: string;
  iv: string;
  ciphertext: string;
  tag: string;
}
