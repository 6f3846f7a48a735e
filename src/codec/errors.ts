/**
 * A payload the codec cannot decrypt: its key is not configured, or it does not authenticate
 * (altered, or encrypted with other key material under the same id). Never retried into success:
 * the fix is configuration (CODEC_KEYS_FILE).
 */
export class PayloadDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}
