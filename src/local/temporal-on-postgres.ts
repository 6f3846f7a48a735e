import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { temporalConnectionOptions } from '../client/temporal-tls.js';
import { temporalTls } from '../config.js';
import { issueCertificates } from './control-plane/pki.js';
import { toolBinary } from './paths.js';
import { assertPortFree, freeLowPort, freePort, loopback } from './ports.js';
import { startPostgres, type PostgresServer } from './postgres.js';
import { ComponentError, SupervisedProcess } from './supervised-process.js';
import { temporalDynamicConfigFile } from './temporal-dynamic-config.js';
import { servingTemporal } from './temporal-health.js';
import { registerNamespace } from './temporal-namespace.js';

const run = promisify(execFile);

/**
 * The four services of one server process: each its gRPC and membership port; the frontend also
 * HTTP. Membership ports are stored in a smallint column: they must be below 32768.
 */
export interface TemporalServerPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  membership: [number, number, number, number];
  metrics: number;
}

/**
 * PEM files of a frontend that serves TLS and requires a client certificate signed by `caFile`
 * (mTLS), as production clusters and Temporal Cloud do. One CA signs every certificate.
 */
export interface FrontendTls {
  caFile: string;
  /** The name in the frontend's certificate, which clients verify (it also has IP 127.0.0.1). */
  serverName: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** For the server's own system worker, which calls the frontend like any client. */
  systemWorkerCertFile: string;
  systemWorkerKeyFile: string;
  /** For the clients of a test or benchmark: the orchestrator's processes, the namespace set-up. */
  clientCertFile: string;
  clientKeyFile: string;
}

/** A new CA and the certificates of FrontendTls in `dir`. */
export function frontendTlsFiles(dir: string): FrontendTls {
  const serverName = 'temporal-frontend.local';
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  issueCertificates(dir, {
    ca: 'temporal-test-ca',
    serving: { frontend: { subject: `/CN=${serverName}`, names: [`DNS:${serverName}`, `IP:${loopback}`] } },
    clients: { 'system-worker': '/CN=temporal-system-worker', client: '/CN=compute-orchestrator' },
  });
  const file = (name: string) => join(dir, name);
  return {
    caFile: file('ca.crt'), serverName, serverCertFile: file('frontend.crt'), serverKeyFile: file('frontend.key'),
    systemWorkerCertFile: file('system-worker.crt'), systemWorkerKeyFile: file('system-worker.key'),
    clientCertFile: file('client.crt'), clientKeyFile: file('client.key'),
  };
}

/** The orchestrator's own configuration (TEMPORAL_TLS_*) for a client holding FrontendTls's client certificate. */
export function clientTlsEnv(tls: FrontendTls): Record<'TEMPORAL_TLS_CA_FILE' | 'TEMPORAL_TLS_CERT_FILE' | 'TEMPORAL_TLS_KEY_FILE' | 'TEMPORAL_TLS_SERVER_NAME', string> {
  return {
    TEMPORAL_TLS_CA_FILE: tls.caFile, TEMPORAL_TLS_CERT_FILE: tls.clientCertFile, TEMPORAL_TLS_KEY_FILE: tls.clientKeyFile, TEMPORAL_TLS_SERVER_NAME: tls.serverName,
  };
}

/**
 * Frontend TLS with client certificates required. Internode traffic (frontend to history and
 * matching, all on loopback in one process) stays plaintext; the system worker, which reaches the
 * frontend through membership, gets its own client certificate (`global.tls.systemWorker`).
 */
function tlsConfig(tls: FrontendTls): object {
  return {
    frontend: { server: { certFile: tls.serverCertFile, keyFile: tls.serverKeyFile, requireClientAuth: true, clientCaFiles: [tls.caFile] } },
    systemWorker: { certFile: tls.systemWorkerCertFile, keyFile: tls.systemWorkerKeyFile, client: { serverName: tls.serverName, rootCaFiles: [tls.caFile] } },
  };
}

export interface TemporalOnPostgres {
  address: string;
  process: SupervisedProcess;
}

export const temporalDatabases = { temporal: 'postgresql/v12/temporal', temporal_visibility: 'postgresql/v12/visibility' } as const;

/**
 * The schema set up as operators do it: temporal-sql-tool creates each database, sets up the
 * versioning tables, then applies every embedded migration. Idempotent: a database that exists
 * is kept and only brought up to date.
 */
async function setUpSchemas(postgres: PostgresServer): Promise<void> {
  const tool = toolBinary('temporal-server', 'temporal-sql-tool');
  const connection = ['--plugin', 'postgres12', '--ep', postgres.host, '-p', String(postgres.port), '-u', postgres.user, '--pw', postgres.password];
  for (const [database, schema] of Object.entries(temporalDatabases)) {
    const steps = [['create-database'], ['setup-schema', '-v', '0.0'], ['update-schema', '--schema-name', schema]];
    for (const step of steps) {
      try {
        await run(tool, [...connection, '--db', database, ...step]);
      } catch (error) {
        const output = (error as { stderr?: string }).stderr ?? String(error);
        // create-database and setup-schema on a database made by an earlier run: nothing to do.
        if (step[0] !== 'update-schema' && /already exists/.test(output)) continue;
        throw new ComponentError('temporal-sql-tool', `${step[0]} of ${database} failed`, output.trim());
      }
    }
  }
}

function datastore(postgres: PostgresServer, databaseName: string, maxConns: number): object {
  return {
    sql: {
      pluginName: 'postgres12', databaseName, connectAddr: `${postgres.host}:${postgres.port}`, connectProtocol: 'tcp',
      user: postgres.user, password: postgres.password, maxConns, maxIdleConns: maxConns, maxConnLifetime: '1h',
    },
  };
}

function serverConfig(postgres: PostgresServer, ports: TemporalServerPorts, dynamicConfigFile: string, tls: FrontendTls | undefined): object {
  const service = (grpcPort: number, membershipPort: number, extra: object = {}) => ({ rpc: { grpcPort, membershipPort, bindOnIP: loopback, ...extra } });
  return {
    log: { stdout: true, level: 'warn', format: 'json' },
    persistence: {
      defaultStore: 'default', visibilityStore: 'visibility', numHistoryShards: 4,
      datastores: { default: datastore(postgres, 'temporal', 20), visibility: datastore(postgres, 'temporal_visibility', 10) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: loopback },
      metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `${loopback}:${ports.metrics}` } },
      ...(tls ? { tls: tlsConfig(tls) } : {}),
    },
    services: {
      frontend: service(ports.frontend, ports.membership[0], { httpPort: ports.frontendHttp }),
      history: service(ports.history, ports.membership[1]),
      matching: service(ports.matching, ports.membership[2]),
      worker: service(ports.worker, ports.membership[3]),
    },
    clusterMetadata: {
      enableGlobalNamespace: false, failoverVersionIncrement: 10, masterClusterName: 'active', currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `${loopback}:${ports.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
}

/**
 * `go.temporal.io/server` (tools/build-temporal-server.sh) on PostgreSQL, all four services in
 * one process on loopback, the schema and the namespace set up first: the topology of
 * docker-compose.yml without containers. With `tls`, the frontend serves only mTLS.
 */
export async function startTemporalOnPostgres(
  dir: string, logDir: string, postgres: PostgresServer, ports: TemporalServerPorts, options: { namespace?: string; tls?: FrontendTls } = {},
): Promise<TemporalOnPostgres> {
  for (const port of [ports.frontend, ports.frontendHttp, ports.history, ports.matching, ports.worker, ...ports.membership, ports.metrics]) {
    await assertPortFree('temporal-server', port);
  }
  await setUpSchemas(postgres);
  const configDir = join(dir, 'config');
  mkdirSync(configDir, { recursive: true });
  const dynamicConfigFile = join(configDir, 'dynamic-config.yaml');
  copyFileSync(temporalDynamicConfigFile, dynamicConfigFile);
  writeFileSync(join(configDir, 'postgres.yaml'), stringify(serverConfig(postgres, ports, dynamicConfigFile, options.tls)), { mode: 0o600 });
  const server = SupervisedProcess.start({
    name: 'temporal-server',
    command: toolBinary('temporal-server', 'temporal-server'),
    args: ['--root', dir, '--config', 'config', '--env', 'postgres', '--allow-no-auth', 'start'],
    logFile: join(logDir, 'temporal-server.log'),
    cwd: dir,
  });
  const address = `${loopback}:${ports.frontend}`;
  // Set up as an operator with a client certificate would.
  const frontend = temporalConnectionOptions({ temporalAddress: address, temporalTls: options.tls && temporalTls(clientTlsEnv(options.tls)) });
  try {
    await server.waitUntilReady('serving (gRPC health check)', () => servingTemporal(frontend), 120_000);
    await registerNamespace(frontend, options.namespace ?? 'default');
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { address, process: server };
}

export interface PostgresBackedTemporal {
  address: string;
  /** The certificates, when the frontend serves mTLS. */
  tls?: FrontendTls;
  stop(): Promise<void>;
}

/**
 * PostgreSQL and the Temporal server on it, state under `dir`, every port free on loopback: the
 * production-shaped Temporal for tests and benchmarks. `frontendTls`: its frontend serves only
 * mTLS, with certificates made under `dir`. Stops both, server first.
 */
export async function startPostgresBackedTemporal(dir: string, logDir: string, options: { frontendTls?: boolean } = {}): Promise<PostgresBackedTemporal> {
  mkdirSync(logDir, { recursive: true });
  const tls = options.frontendTls ? frontendTlsFiles(join(dir, 'pki')) : undefined;
  const postgres = await startPostgres(join(dir, 'postgresql'), logDir, await freePort());
  const ports: TemporalServerPorts = {
    frontend: await freePort(), frontendHttp: await freePort(), history: await freePort(), matching: await freePort(), worker: await freePort(),
    membership: [await freeLowPort(), await freeLowPort(), await freeLowPort(), await freeLowPort()], metrics: await freePort(),
  };
  try {
    const temporal = await startTemporalOnPostgres(join(dir, 'temporal'), logDir, postgres, ports, { tls });
    return {
      address: temporal.address,
      tls,
      async stop() {
        await temporal.process.stop();
        await postgres.process.stop();
      },
    };
  } catch (error) {
    await postgres.process.stop();
    throw error;
  }
}
