import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Connection, WorkflowFailedError } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { loadCodecKeys } from '../../src/codec/keys.js';
import { searchAttributeKeys } from '../../src/domain/search-attributes.js';
import { toolBinary } from '../../src/local/paths.js';
import { callApi } from './stack/http.js';
import { eventually, uniqueName } from './stack/kube.js';
import { pluginToken, startOrchestrator, testToken, type Orchestrator } from './stack/orchestrator.js';
import { readStackInfo } from './stack/stack-info.js';

type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

const run = promisify(execFile);
const uiOrigin = 'http://temporal-ui.test:8233';
const base64 = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? []).toString('base64');
const fromBase64 = (text: string | undefined): string => Buffer.from(text ?? '', 'base64').toString('utf8');
/** A payload as the codec protocol carries it (protobuf JSON: bytes in base64). */
const payloadJson = (payload: Payload) => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, base64(value)])),
  data: base64(payload.data),
});

/** The history as Temporal stores it, read without any codec: what an operator of the database, or a backup, holds. */
async function storedHistory(workflowId: string): Promise<HistoryEvent[]> {
  const connection = await Connection.connect({ address: readStackInfo().temporalAddress });
  try {
    const events: HistoryEvent[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId }, nextPageToken });
      events.push(...(page.history?.events ?? []));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    return events;
  } finally {
    await connection.close();
  }
}
const storedBytes = (events: HistoryEvent[]): Buffer => Buffer.from(proto.temporal.api.history.v1.History.encode({ events }).finish());

describe('no secrets at rest: payloads encrypted in Temporal, decoded for operators by the codec endpoint', () => {
  let orchestrator: Orchestrator;
  const secrets = { s3a: `s3a-${randomBytes(12).toString('hex')}`, driverEnv: `env-${randomBytes(12).toString('hex')}`, kernelEnv: `kernel-${randomBytes(12).toString('hex')}` };
  const user = uniqueName('erin');
  const jobId = uniqueName('secret-job');
  const workflowId = `spark-job-${jobId}`;
  let history: HistoryEvent[];

  beforeAll(async () => {
    orchestrator = await startOrchestrator({ CODEC_CORS_ORIGINS: uiOrigin });
    const accepted = await orchestrator.call('POST', '/v1/spark-jobs', {
      jobId, user,
      app: {
        image: 'apache/spark:4.0.1', mainClass: 'org.apache.spark.examples.SparkPi', mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples.jar',
        conf: {
          'spark.hadoop.fs.s3a.secret.key': secrets.s3a,
          'spark.kubernetes.driverEnv.AWS_SECRET_ACCESS_KEY': secrets.driverEnv,
          // A failing driver, so that the history also holds a failure.
          'spark.kubernetes.driver.annotation.compute-orchestrator/simulate-exit-code': '3',
        },
      },
    });
    expect(accepted.statusCode).toBe(202);
    await expect(orchestrator.temporal.client.workflow.getHandle(workflowId).result()).rejects.toThrow(WorkflowFailedError);
    history = await storedHistory(workflowId);
  }, 120_000);
  afterAll(() => orchestrator.stop());

  const started = () => history[0]!.workflowExecutionStartedEventAttributes!;
  const codecCall = (operation: string, body: unknown, headers: Record<string, string> = {}) => fetch(`${orchestrator.url}/codec/${operation}`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers }, body: JSON.stringify(body),
  });

  test("a Spark job's conf and environment values are nowhere in the stored history; the orchestrator's client reads them", async () => {
    const stored = storedBytes(history);
    expect(history.length).toBeGreaterThan(10);
    for (const secret of [secrets.s3a, secrets.driverEnv]) {
      expect(stored.includes(secret)).toBe(false);
      expect(stored.includes(Buffer.from(secret).toString('base64').slice(0, 16))).toBe(false);
    }
    const [input] = started().input!.payloads!;
    expect(Buffer.from(input!.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(input!.metadata!['encryption-key-id']!).toString()).toBe(loadCodecKeys(readStackInfo().codecKeysFile).currentKeyId);

    const [decoded] = await orchestrator.temporal.codec.decode([input!]);
    expect(defaultPayloadConverter.fromPayload<any>(decoded!).app.conf).toMatchObject({
      'spark.hadoop.fs.s3a.secret.key': secrets.s3a, 'spark.kubernetes.driverEnv.AWS_SECRET_ACCESS_KEY': secrets.driverEnv,
    });
  });

  test('search attributes stay in clear, so that lists and the Web UI filter on them', () => {
    const indexed = started().searchAttributes!.indexedFields!;
    expect(defaultPayloadConverter.fromPayload(indexed[searchAttributeKeys.dssUser.name]!)).toBe(user);
    expect(defaultPayloadConverter.fromPayload(indexed[searchAttributeKeys.computeKind.name]!)).toBe('spark-job');
  });

  test("failure messages are encrypted too; the orchestrator's client sees the real one", async () => {
    const failed = history.at(-1)!.workflowExecutionFailedEventAttributes!.failure!;
    expect(failed.message).toBe('Encoded failure');
    expect(failed.applicationFailureInfo?.type).toBe('SparkJobFailed');
    expect(storedBytes(history).includes('the driver exited with code 3')).toBe(false);
    const error = await orchestrator.temporal.client.workflow.getHandle(workflowId).result().catch((failure: unknown) => failure);
    expect((error as WorkflowFailedError).cause?.message).toBe('the driver exited with code 3 (Error)');
  });

  test("a kernel's environment values are not in its stored history either", async () => {
    const kernelId = uniqueName('secret-k');
    const accepted = await orchestrator.call('POST', '/v1/kernels', { kernelId, user, env: { KERNEL_S3_SECRET_KEY: secrets.kernelEnv } });
    expect(accepted.statusCode).toBe(202);
    const kernel = async () => (await orchestrator.call('GET', `/v1/kernels/${kernelId}`)).json();
    await eventually(kernel, (status) => status.phase === 'RUNNING', 60_000);
    await orchestrator.call('DELETE', `/v1/kernels/${kernelId}`);
    // The whole session, to its end: its history then holds every payload it will ever have.
    await orchestrator.temporal.client.workflow.getHandle(`kernel-${kernelId}`).result();
    expect(await kernel()).toMatchObject({ phase: 'STOPPED', cleanedUp: true });
    const stored = storedBytes(await storedHistory(`kernel-${kernelId}`));
    expect(stored.includes('KERNEL_S3_SECRET_KEY')).toBe(false);
    expect(stored.includes(secrets.kernelEnv)).toBe(false);
  });

  test('POST /codec/decode gives an operator the clear payloads; a token without the codec scope is 403, none 401', async () => {
    const body = { payloads: [payloadJson(started().input!.payloads![0]!)] };
    const answer = await codecCall('decode', body, { authorization: `Bearer ${testToken}` });
    expect(answer.status).toBe(200);
    const { payloads } = (await answer.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    expect(fromBase64(payloads[0]!.metadata.encoding)).toBe('json/plain');
    expect(JSON.parse(fromBase64(payloads[0]!.data)).app.conf['spark.hadoop.fs.s3a.secret.key']).toBe(secrets.s3a);

    const plugin = await codecCall('decode', body, { authorization: `Bearer ${pluginToken}` });
    expect(plugin.status).toBe(403);
    expect(await plugin.json()).toEqual({ error: { code: 'FORBIDDEN', message: "token 'integration-test-plugin' lacks the scope 'codec' for POST /codec/decode" } });
    const anonymous = await codecCall('decode', body);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as any).error.code).toBe('UNAUTHENTICATED');
  });

  test('POST /codec/encode encrypts with the current key; decode refuses a payload of an unknown key, naming it', async () => {
    const operator = { authorization: `Bearer ${testToken}` };
    const plain = payloadJson(defaultPayloadConverter.toPayload({ note: 'typed in the Web UI' }));
    const encoded = (await (await codecCall('encode', { payloads: [plain] }, operator)).json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    expect(fromBase64(encoded.payloads[0]!.metadata.encoding)).toBe('binary/encrypted');
    expect(fromBase64(encoded.payloads[0]!.data)).not.toContain('typed in the Web UI');
    const decoded = (await (await codecCall('decode', encoded, operator)).json()) as { payloads: unknown[] };
    expect(decoded.payloads).toEqual([plain]);

    const foreign = { ...encoded.payloads[0]!, metadata: { ...encoded.payloads[0]!.metadata, 'encryption-key-id': Buffer.from('retired-key').toString('base64') } };
    const refused = await codecCall('decode', { payloads: [plain, foreign] }, operator);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: 'VALIDATION', field: 'payloads.1', message: expect.stringContaining("payloads.1: a payload is encrypted with the key 'retired-key'") } });
  });

  test('the Temporal CLI shows the history decoded through the endpoint (the protocol the Web UI speaks), and encrypted without it', async () => {
    const show = ['workflow', 'show', '--workflow-id', workflowId, '--address', readStackInfo().temporalAddress, '--namespace', 'default', '--output', 'json'];
    const shown = async (...codec: string[]) => {
      const { events } = JSON.parse((await run(toolBinary('temporal'), [...show, ...codec])).stdout) as { events: any[] };
      const input = events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
      const failure = events[events.length - 1].workflowExecutionFailedEventAttributes.failure.encodedAttributes;
      return { input: { encoding: fromBase64(input.metadata.encoding), data: fromBase64(input.data) }, failure: fromBase64(failure.data) };
    };
    const decoded = await shown('--codec-endpoint', `${orchestrator.url}/codec`, '--codec-auth', `Bearer ${testToken}`);
    expect(decoded.input.encoding).toBe('json/plain');
    expect(JSON.parse(decoded.input.data).app.conf['spark.hadoop.fs.s3a.secret.key']).toBe(secrets.s3a);
    expect(JSON.parse(decoded.failure).message).toBe('the driver exited with code 3 (Error)');
    const raw = await shown();
    expect(raw.input.encoding).toBe('binary/encrypted');
    expect(raw.input.data).not.toContain(secrets.s3a);
    expect(raw.failure).not.toContain('the driver exited');
  });

  test("CORS: the Web UI's origin gets its preflight answered, with credentials; another origin is refused", async () => {
    const preflight = (origin: string) => fetch(`${orchestrator.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
    });
    const allowed = await preflight(uiOrigin);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(uiOrigin);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-allow-methods')).toBe('POST');
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase().split(', ')).toEqual(expect.arrayContaining(['authorization', 'content-type', 'x-namespace']));

    const other = await preflight('http://elsewhere.test:8233');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await other.json()) as any).error.code).toBe('FORBIDDEN');

    // The UI's own request: the answer, refusals included, carries the headers the browser needs to hand it over.
    const body = { payloads: [payloadJson(started().input!.payloads![0]!)] };
    const refused = await codecCall('decode', body, { origin: uiOrigin });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(uiOrigin);
    const answered = await codecCall('decode', body, { origin: uiOrigin, authorization: `Bearer ${testToken}` });
    expect(answered.status).toBe(200);
    expect(answered.headers.get('access-control-allow-origin')).toBe(uiOrigin);
    expect((await codecCall('decode', body, { origin: 'http://elsewhere.test:8233', authorization: `Bearer ${testToken}` })).headers.get('access-control-allow-origin')).toBeNull();
  });

  test('the codec routes are in the OpenAPI document, behind bearer authentication', async () => {
    const document = (await callApi(orchestrator.url, 'GET', '/openapi.json')).json();
    expect(document.paths['/codec/decode'].post.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/codec/encode'].post.security).toEqual([{ bearer: [] }]);
  });
});
