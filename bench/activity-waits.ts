/**
 * What a wait inside a long activity keeps once it is over, in the real SDK's activity context
 * (MockActivityEnvironment): the heap still reachable after `waits` waits of 0 ms each, divided by
 * `waits`, for Temporal's Context.sleep (and a pod watch's former loop: Promise.race of the pod's
 * end and Context.sleep) against activity-waits.ts. A kernel's pod watch and wire watch each wait
 * every 5 s for as long as the kernel lives, so bytes per wait × 720 is what one of them grows an hour.
 * Usage: npm run bench:activity-waits -- [waits=20000]
 */
import { Context } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { pause } from '../src/activities/activity-waits.js';

const waits = Number(process.argv[2] ?? 20_000);
const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error('run with --expose-gc (npm run bench:activity-waits does)');

/** Bytes still reachable per wait after `loop` ran inside one activity that has not ended yet. */
async function keptPerWait(loop: (context: Context, podEnd: Promise<void>) => Promise<void>): Promise<number> {
  const environment = new MockActivityEnvironment();
  const podEnd = new Promise<void>(() => undefined);
  collect!();
  const before = process.memoryUsage().heapUsed;
  let after = 0;
  await environment.run(async () => {
    await loop(Context.current(), podEnd);
    collect!();
    after = process.memoryUsage().heapUsed;
  });
  return (after - before) / waits;
}

const rows: Array<[string, number]> = [
  ['Context.sleep(0)', await keptPerWait(async (context) => {
    for (let i = 0; i < waits; i++) await context.sleep(0);
  })],
  ['Promise.race([podEnd, Context.sleep(0)]) (the pod watch before)', await keptPerWait(async (context, podEnd) => {
    for (let i = 0; i < waits; i++) await Promise.race([podEnd, context.sleep(0)]);
  })],
  ['pause(context, 0) (activity-waits.ts)', await keptPerWait(async (context) => {
    for (let i = 0; i < waits; i++) await pause(context, 0);
  })],
];
console.log(`${waits} waits in one activity, Node ${process.version}`);
for (const [what, bytes] of rows) {
  console.log(`${what}: ${bytes.toFixed(0)} bytes kept per wait, ${(bytes * 720 / 1024).toFixed(0)} KiB an hour for a watch that waits every 5 s`);
}
