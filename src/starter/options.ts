import { InvalidArgumentError } from 'commander';

export const positiveInteger = (raw: string): number => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new InvalidArgumentError('must be a positive integer');
  return value;
};

/** Collects repeated `--flag key=value` options into a record. */
export const keyValue = (raw: string, previous: Record<string, string> = {}): Record<string, string> => {
  const at = raw.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, got '${raw}'`);
  return { ...previous, [raw.slice(0, at)]: raw.slice(at + 1) };
};
