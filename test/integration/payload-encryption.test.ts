import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Connection, WorkflowFailedError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import { randomBytes } from 'node:crypto';
import { loadCodecKeys } from '../../src/codec/keys.js';
import { searchAttributeKeys } from '../../src/domain/search-attributes.js';
import { eventually, uniqueName } from './stack/kube.js';
import { startOrchestrator, type Orchestrator } from './stack/orchestrator.js';
import { readStackInfo } from './stack/stack-info.js';

type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;


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

describe('no secrets at rest: payloads encrypted in Temporal', () => {
  let orchestrator: Orchestrator;
  const secrets = { s3a: `s3a-${randomBytes(12).toString('hex')}`, driverEnv: `env-${randomBytes(12).toString('hex')}`, kernelEnv: `kernel-${randomBytes(12).toString('hex')}` };
  const user = uniqueName('erin');
  const jobId = uniqueName('secret-job');
  const workflowId = `spark-job-${jobId}`;
  let history: HistoryEvent[];

  beforeAll(async () => {
    orchestrator = await startOrchestrator();
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
});
