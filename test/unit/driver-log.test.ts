import { describe, expect, test } from '@jest/globals';
import { driverLogKeptBytes, logTail } from '../../src/domain/driver-log.js';

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

describe('logTail: the end of a log, at most 64 KiB', () => {
  test('keeps a log that fits whole, empty included', () => {
    const log = 'INFO SparkContext: Running Spark version 4.0.1\nPi is roughly 3.14\n';
    expect(logTail(log)).toBe(log);
    expect(logTail('')).toBe('');
    const exactly = `${'a'.repeat(driverLogKeptBytes - 1)}\n`;
    expect(logTail(exactly)).toBe(exactly);
  });

  test('keeps the last 64 KiB of a longer log, starting on a line', () => {
    const lines = Array.from({ length: 5_000 }, (_, index) => `25/11/21 10:00:00 INFO Executor: line ${index}`);
    const log = `${lines.join('\n')}\nPi is roughly 3.14\n`;
    const tail = logTail(log);
    expect(bytes(tail)).toBeLessThanOrEqual(driverLogKeptBytes);
    expect(bytes(tail)).toBeGreaterThan(driverLogKeptBytes - 100);
    expect(log.endsWith(tail)).toBe(true);
    expect(tail).toMatch(/^25\/11\/21 10:00:00 INFO Executor: line \d+\n/);
    expect(tail.endsWith('Pi is roughly 3.14\n')).toBe(true);
  });

  test('a cut that falls just after a line break keeps that whole line', () => {
    const last = `${'b'.repeat(99)}\n`;
    expect(logTail(`${'a'.repeat(50)}\n${last}`, 100)).toBe(last);
  });

  test('a last line longer than the limit is cut inside it, never inside a character', () => {
    const log = `first\n${'é'.repeat(100)}\n`;
    const tail = logTail(log, 51);
    expect(bytes(tail)).toBeLessThanOrEqual(51);
    expect(tail).toBe(`${'é'.repeat(25)}\n`);
    expect(logTail('€'.repeat(10), 7)).toBe('€€');
  });

  test('a log without line breaks keeps its last bytes', () => {
    expect(logTail('x'.repeat(200), 64)).toBe('x'.repeat(64));
  });
});
