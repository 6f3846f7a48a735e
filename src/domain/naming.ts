/**
 * Kubernetes names from user input: lower-case DNS-1123 labels of at most 63 characters. Pure
 * (no Node built-ins), so workflows may use it too.
 */
export const maxLabelLength = 63;
const hashLength = 8;

/** FNV-1a, 64 bits: deterministic, dependency-free, and plenty to tell user names apart. */
export function shortHash(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(36).padStart(hashLength, '0').slice(-hashLength);
}

const isLabel = (text: string, maxLength: number): boolean =>
  text.length > 0 && text.length <= maxLength && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(text);

/**
 * `raw` itself when it already is a valid label; otherwise an escaped, truncated form with a
 * hash of `raw` appended, so that inputs differing only in what escaping removes (`john.doe`,
 * `john_doe`, `John.Doe`) never map to the same name.
 */
export function toDnsLabel(raw: string, maxLength = maxLabelLength): string {
  if (isLabel(raw, maxLength)) return raw;
  const escaped = raw
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  const room = maxLength - hashLength - 1;
  const stem = escaped.slice(0, room).replace(/-$/, '');
  return stem ? `${stem}-${shortHash(raw)}` : shortHash(raw);
}
