/**
 * What a Spark job kept of its driver's log: nothing yet (the job has not ended, or its log is
 * being read), the end of it, or why none was kept. The text is user data: it travels only as
 * workflow payloads (encrypted by the codec) and never reaches a log line, memo or error.
 */
export type DriverLog =
  | { state: 'PENDING' }
  | { state: 'KEPT'; text: string }
  | { state: 'NOT_KEPT'; reason: string };

/** At most this much of the end of a driver's log is kept: enough for a stack trace and a result, small for a payload. */
export const driverLogKeptBytes = 64 * 1024;

const newline = 0x0a;
const isContinuationByte = (byte: number): boolean => (byte & 0xc0) === 0x80;

/**
 * The last `maxBytes` bytes of `text` (UTF-8) at most, starting on a line when the kept part has a
 * line break, otherwise on a character: a reader never sees half a line or half a character.
 */
export function logTail(text: string, maxBytes: number = driverLogKeptBytes): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  // A break just before the cut already starts a line; the last byte's break would keep nothing.
  const lineBreak = bytes.indexOf(newline, start - 1);
  if (lineBreak !== -1 && lineBreak + 1 < bytes.length) {
    start = lineBreak + 1;
  } else {
    while (start < bytes.length && isContinuationByte(bytes[start]!)) start++;
  }
  return new TextDecoder().decode(bytes.subarray(start));
}
