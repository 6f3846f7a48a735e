/** `host:port`: a name, an IPv4 address or a bracketed IPv6 address, then a port of up to 5 digits. */
export const hostPortPattern = /^([a-zA-Z0-9.-]+|\[[0-9a-fA-F:.]+\]):([0-9]{1,5})$/;

/** The host (IPv6 without its brackets, as `listen` wants it) and port of a `host:port`; undefined when it is not one. */
export function splitHostPort(address: string): { host: string; port: number } | undefined {
  const match = hostPortPattern.exec(address);
  if (!match) return undefined;
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(match[2]) };
}
