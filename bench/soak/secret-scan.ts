import { readFileSync } from 'node:fs';

/** A signed JWT (a service account token): header and claims both base64url JSON objects. */
const jwtPattern = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

export interface SecretSighting {
  /** Where it was seen: a log file, a history, an API answer. */
  where: string;
  /** What kind of secret, never the secret itself. */
  what: string;
}

/**
 * Looks for secrets in text: any service-account token (JWT), the API's operator token and the
 * payload keys. Every sighting is kept, named by kind, so a report never repeats the secret.
 */
export class SecretScanner {
  readonly sightings: SecretSighting[] = [];
  private readonly known: Array<{ what: string; value: string }>;

  constructor(operatorToken: string, codecKeysFile: string) {
    const keys = JSON.parse(readFileSync(codecKeysFile, 'utf8')) as { keys: Record<string, string> };
    this.known = [{ what: 'the API operator token', value: operatorToken }, ...Object.values(keys.keys).map((value) => ({ what: 'a payload key', value }))];
  }

  scan(where: string, text: string): void {
    if (jwtPattern.test(text)) this.sightings.push({ where, what: 'a service account token (JWT)' });
    for (const { what, value } of this.known) if (text.includes(value)) this.sightings.push({ where, what });
  }
}
