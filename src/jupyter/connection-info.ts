/**
 * A kernel's connection file: where its five ZeroMQ sockets listen and the key that signs its
 * messages. It arrives from outside (the launcher's connect-back), so it is checked field by field
 * before anything connects with it.
 */
export interface KernelConnectionInfo {
  ip: string;
  transport: 'tcp';
  key: string;
  signature_scheme: 'hmac-sha256';
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  kernel_name?: string;
  comm_port?: number;
  pid?: number;
  pgid?: number;
  kernel_id?: string;
}

/** Names the field and what it must be; never repeats the value, which for `key` is the kernel's secret. */
export class ConnectionInfoError extends Error {
  constructor(readonly field: string, expectation: string) {
    super(`connection info: ${field} ${expectation}`);
    this.name = 'ConnectionInfoError';
  }
}

export function parseConnectionInfo(candidate: unknown): KernelConnectionInfo {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    throw new ConnectionInfoError('(root)', 'must be a JSON object');
  }
  const fields = candidate as Record<string, unknown>;
  const info: KernelConnectionInfo = {
    ip: requiredString(fields, 'ip'),
    transport: literal(fields, 'transport', 'tcp'),
    // An empty key turns signing off in jupyter_client: anyone reaching the ports could run code.
    key: requiredString(fields, 'key'),
    signature_scheme: literal(fields, 'signature_scheme', 'hmac-sha256'),
    shell_port: port(fields, 'shell_port'),
    iopub_port: port(fields, 'iopub_port'),
    stdin_port: port(fields, 'stdin_port'),
    control_port: port(fields, 'control_port'),
    hb_port: port(fields, 'hb_port'),
  };
  // jupyter_client writes an empty kernel_name when it knows none, as EG's launchers do.
  if (fields.kernel_name !== undefined && fields.kernel_name !== '') info.kernel_name = requiredString(fields, 'kernel_name');
  if (fields.comm_port !== undefined) info.comm_port = port(fields, 'comm_port');
  if (fields.pid !== undefined) info.pid = positiveInteger(fields, 'pid');
  if (fields.pgid !== undefined) info.pgid = positiveInteger(fields, 'pgid');
  if (fields.kernel_id !== undefined) info.kernel_id = requiredString(fields, 'kernel_id');
  return info;
}

function requiredString(fields: Record<string, unknown>, name: string): string {
  const value = fields[name];
  if (typeof value !== 'string' || value === '') throw new ConnectionInfoError(name, 'must be a non-empty string');
  return value;
}

function literal<T extends string>(fields: Record<string, unknown>, name: string, expected: T): T {
  if (fields[name] !== expected) throw new ConnectionInfoError(name, `must be "${expected}"`);
  return expected;
}

function port(fields: Record<string, unknown>, name: string): number {
  const value = fields[name];
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65_535) {
    throw new ConnectionInfoError(name, 'must be an integer port from 1 to 65535');
  }
  return value as number;
}

function positiveInteger(fields: Record<string, unknown>, name: string): number {
  const value = fields[name];
  if (!Number.isInteger(value) || (value as number) < 1) throw new ConnectionInfoError(name, 'must be a positive integer');
  return value as number;
}
