/**
 * What Temporal alone costs before an activity starts, on this machine's dev server: a workflow of
 * `localCalls` no-op local activities then one no-op activity (the shape of a Spark job's identity
 * setup, with nothing of ours in it), started `runs` times one after the other, `pauseMs` apart,
 * once per worker variant (bare; with the orchestrator's encrypting codec; with its log-context
 * interceptors too). Prints start → activity started and where that time went, from the histories.
 * Usage: npm run bench:workflow-task-floor -- [runs=30] [localCalls=2] [pauseMs=300]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { AesGcmCodec } from '../src/codec/aes-gcm-codec.js';
import { encryptingDataConverter } from '../src/codec/data-converter.js';
import { newCodecKeysFile, parseCodecKeys } from '../src/codec/keys.js';
import { freeTemporalPorts } from '../src/local/stack.js';
import { startTemporalDevServer } from '../src/local/temporal-dev-server.js';
import { workerInterceptors } from '../src/worker.js';
import { floorActivities } from './floor/activities.js';
import { meanGapRows, timeUntilActivityStarted } from './history-breakdown.js';
import { percentile } from './percentile.js';

const runs = Number(process.argv[2] ?? 30);
const localCalls = Number(process.argv[3] ?? 2);
const pauseMs = Number(process.argv[4] ?? 300);
/** The first runs of a worker bundle-load its workflow code and open its connections. */
const warmUpRuns = 3;
Runtime.install({ logger: new DefaultLogger('WARN') });

const encrypting = encryptingDataConverter(new AesGcmCodec(parseCodecKeys(newCodecKeysFile('floor'), 'generated')));
const variants = [
  { name: 'bare', dataConverter: undefined, interceptors: false },
  { name: 'encrypting codec', dataConverter: encrypting, interceptors: false },
  { name: 'encrypting codec and log-context interceptors', dataConverter: encrypting, interceptors: true },
];

const dir = mkdtempSync(join(tmpdir(), 'bench-workflow-task-floor-'));
const server = await startTemporalDevServer(join(dir, 'temporal'), dir, await freeTemporalPorts());
try {
  console.log(`${runs} runs per variant, ${localCalls} local calls, ${pauseMs} ms between a run's end and the next start\n`);
  for (const variant of variants) {
    const taskQueue = `floor-${variants.indexOf(variant)}`;
    const dataConverter = variant.dataConverter ? { dataConverter: variant.dataConverter } : {};
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: new URL('./floor/workflows.ts', import.meta.url).pathname, logger: new DefaultLogger('WARN'),
      ...(variant.interceptors ? { workflowInterceptorModules: workerInterceptors.workflowModules } : {}),
      ...(variant.dataConverter ? { failureConverterPath: variant.dataConverter.failureConverterPath } : {}),
    });
    const connection = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({
      connection, taskQueue, workflowBundle, activities: floorActivities, ...dataConverter,
      ...(variant.interceptors ? { interceptors: { activity: workerInterceptors.activity } } : {}),
    });
    const clientConnection = await Connection.connect({ address: server.address });
    const client = new Client({ connection: clientConnection, ...dataConverter });
    const measured: Array<ReturnType<typeof timeUntilActivityStarted>> = [];
    await worker.runUntil(async () => {
      for (let run = 0; run < warmUpRuns + runs; run++) {
        const handle = await client.workflow.start('floorWorkflow', { taskQueue, workflowId: `${taskQueue}-${run}`, args: [localCalls] });
        await handle.result();
        if (run >= warmUpRuns) measured.push(timeUntilActivityStarted((await handle.fetchHistory()).events ?? [], 'noop'));
        await sleep(pauseMs);
      }
    });
    await clientConnection.close();
    await connection.close();
    const totals = measured.map((run) => run.total);
    console.log(`${variant.name}: start → activity started p50 ${percentile(totals, 50)} / p99 ${percentile(totals, 99)} ms`);
    console.log(`| between history events | mean ms |\n|---|---|\n${meanGapRows(measured.map((run) => run.gaps)).join('\n')}\n`);
  }
} finally {
  await server.process.stop();
  rmSync(dir, { recursive: true, force: true });
}
