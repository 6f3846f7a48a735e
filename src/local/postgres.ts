import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { assertPortFree, loopback } from './ports.js';
import { ComponentError, SupervisedProcess } from './supervised-process.js';

const run = promisify(execFile);

export interface PostgresServer {
  host: string;
  port: number;
  user: string;
  password: string;
  process: SupervisedProcess;
}

/** Debian's PostgreSQL binaries (tools/install-debian-packages.sh), newest major version first. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a)) : [];
  const found = majors.map((major) => join(root, major, 'bin')).find((dir) => existsSync(join(dir, 'postgres')));
  if (!found) throw new ComponentError('postgresql', "no PostgreSQL server under /usr/lib/postgresql: run 'bash tools/install-debian-packages.sh'");
  return found;
}

/**
 * PostgreSQL refuses to run as root; as root, the server runs as Debian's `postgres` user and
 * owns its data directory (whose parents must let that user through).
 */
async function serverIdentity(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * A PostgreSQL server on loopback with its data in `dir` (created by initdb the first time),
 * password authentication for one superuser, and no Unix socket outside `dir`.
 */
export async function startPostgres(dir: string, logDir: string, port: number, user = 'temporal', password = 'temporal'): Promise<PostgresServer> {
  await assertPortFree('postgresql', port);
  const bin = postgresBinDir();
  const identity = await serverIdentity();
  const data = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  if (identity) chownSync(dir, identity.uid, identity.gid);
  if (!existsSync(join(data, 'PG_VERSION'))) {
    const passwordFile = join(dir, 'initdb-password');
    writeFileSync(passwordFile, password, { mode: 0o600 });
    if (identity) chownSync(passwordFile, identity.uid, identity.gid);
    try {
      await run(join(bin, 'initdb'), ['-D', data, '-U', user, `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-sync'],
        { ...(identity ?? {}), cwd: dir });
    } catch (error) {
      throw new ComponentError('postgresql', `initdb in ${data} failed: ${(error as { stderr?: string }).stderr ?? String(error)}`);
    }
  }
  const server = SupervisedProcess.start({
    name: 'postgresql',
    command: join(bin, 'postgres'),
    // fsync off: a test database that a crash may lose; every other setting is PostgreSQL's own.
    args: ['-D', data, '-p', String(port), '-h', loopback, '-k', dir, '-c', 'fsync=off', '-c', 'max_connections=200'],
    logFile: join(logDir, 'postgresql.log'),
    cwd: dir,
    ...(identity ?? {}),
  });
  const ready = async (): Promise<boolean> => {
    await run(join(bin, 'pg_isready'), ['-h', loopback, '-p', String(port), '-q']);
    return true;
  };
  try {
    await server.waitUntilReady('accepting connections', ready, 60_000);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { host: loopback, port, user, password, process: server };
}
