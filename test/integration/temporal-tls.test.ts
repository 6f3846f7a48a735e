import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { NativeConnection } from '@temporalio/worker';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { temporalConnectionOptions } from '../../src/client/temporal-tls.js';
import { loadRuntimeConfig, type ConfigEnv } from '../../src/config.js';
import { servingTemporal } from '../../src/local/temporal-health.js';
import { clientTlsEnv, startPostgresBackedTemporal, type FrontendTls, type PostgresBackedTemporal } from '../../src/local/temporal-on-postgres.js';
import { callApi } from './stack/http.js';
import { eventually, uniqueName } from './stack/kube.js';
import { leftBy } from './stack/leftovers.js';
import { testToken } from './stack/orchestrator.js';
import { sparkPiJob } from './stack/spark-pi.js';
import { testStateDir } from './stack/stack-info.js';
import { OrchestratorProcesses } from './stack/worker-process.js';

/**
 * Temporal on PostgreSQL whose frontend serves only mTLS, as production clusters and Temporal
 * Cloud do: the worker and the API processes connect with TEMPORAL_TLS_CA_FILE, _CERT_FILE,
 * _KEY_FILE and _SERVER_NAME; a client without a certificate, or without TLS, is turned away.
 */
describe('Temporal over mTLS', () => {
  const dir = join(testStateDir, `tls-temporal-${process.pid}`);
  const processes = new OrchestratorProcesses(join(dir, 'logs'));
  const taskQueue = uniqueName('tls');
  let temporal: PostgresBackedTemporal | undefined;
  let apiUrl = '';
  const tls = (): FrontendTls => temporal!.tls!;

  beforeAll(async () => {
    temporal = await startPostgresBackedTemporal(dir, join(dir, 'logs'), { frontendTls: true });
    const common = { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: taskQueue, ...clientTlsEnv(tls()) };
    processes.start(taskQueue, 'worker', common);
    // Healthy means: the API reaches Temporal and the worker polls the task queue, both over mTLS.
    apiUrl = await processes.startApi('api', common);
  }, 240_000);

  afterAll(async () => {
    await processes.killAll();
    await temporal?.stop();
  });

  test('a worker and an API with a client certificate run a SparkPi job to the end', async () => {
    const body = sparkPiJob(uniqueName('tls'), 1);
    expect((await callApi(apiUrl, 'POST', '/v1/spark-jobs', { token: testToken, body: JSON.stringify(body) })).statusCode).toBe(202);
    const job = await eventually(async () => (await callApi(apiUrl, 'GET', `/v1/spark-jobs/${body.jobId}`, { token: testToken })).json(), (status) => status.cleanedUp === true, 180_000);
    expect([job.phase, job.exitCode]).toEqual(['SUCCEEDED', 0]);
    expect(await leftBy(`spark-job-${body.jobId}`)).toEqual([]);
  }, 240_000);

  /** A connection as the worker opens it (NativeConnection, from TEMPORAL_TLS_*), with `env` as its configuration. */
  const connectWorker = (env: ConfigEnv) => NativeConnection.connect(temporalConnectionOptions(loadRuntimeConfig({ TEMPORAL_ADDRESS: temporal!.address, ...env })));

  test('the health probe of the local stack answers over mTLS', async () => {
    expect(await servingTemporal(temporalConnectionOptions(loadRuntimeConfig({ TEMPORAL_ADDRESS: temporal!.address, ...clientTlsEnv(tls()) })))).toBe(true);
  });

  test('a TLS client without a client certificate is refused: the frontend requires one', async () => {
    const { TEMPORAL_TLS_CA_FILE, TEMPORAL_TLS_SERVER_NAME } = clientTlsEnv(tls());
    // TLS 1.3 refuses after the handshake, so the SDK's words depend on timing (the server's alert,
    // a closed connection, a transport error): it must fail, and a plain TLS client shows why.
    await expect(connectWorker({ TEMPORAL_TLS_CA_FILE, TEMPORAL_TLS_SERVER_NAME })).rejects.toThrow(/GetSystemInfo/);
    const [host, port] = temporal!.address.split(':');
    const socket = connectTls({ host, port: Number(port), ca: readFileSync(tls().caFile), servername: tls().serverName, ALPNProtocols: ['h2'] });
    const [error] = await once(socket, 'error') as [NodeJS.ErrnoException];
    expect(error.code).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  });

  test('a plaintext client is refused', async () => {
    await expect(connectWorker({})).rejects.toThrow(/GetSystemInfo.*(transport error|connection closed)/s);
  });

  test("a server name the frontend's certificate does not carry is refused by the client", async () => {
    await expect(connectWorker({ ...clientTlsEnv(tls()), TEMPORAL_TLS_SERVER_NAME: 'elsewhere.local' })).rejects.toThrow(/NotValidForName/);
  });
});
