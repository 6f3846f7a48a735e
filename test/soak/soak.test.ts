import { expect, test } from '@jest/globals';
import { faultKinds } from '../../bench/soak/faults.js';
import { formatReport } from '../../bench/soak/report.js';
import { runSoak } from '../../bench/soak/run-soak.js';

/**
 * Three minutes of `npm run soak` with a fixed seed: a mixed load on a stack of its own while every
 * kind of fault hits it, then every invariant. The report is printed whatever the outcome.
 */
test('a 3-minute chaos soak: every fault survived, every invariant holds', async () => {
  const report = await runSoak({ minutes: 3, seed: 11, faults: true });
  console.log(formatReport(report));
  expect(report.violations).toEqual([]);
  expect({ faultErrors: report.faultErrors, clientErrors: report.items.filter((item) => item.clientError) }).toEqual({ faultErrors: [], clientErrors: [] });
  expect(faultKinds.filter((kind) => !(report.faultsInjected[kind] > 0))).toEqual([]);
  for (const kind of ['spark-job', 'kernel', 'cluster']) expect(report.load.accepted[kind]).toBeGreaterThan(0);
  // The first Spark user lives at its limit: some of its jobs are refused, none is lost.
  expect(report.load.refused['spark-job']?.LIMIT_EXCEEDED).toBeGreaterThan(0);
  expect(report.quotaSamples).toBeGreaterThan(30);
  expect(report.historiesScanned).toBeGreaterThan(report.load.accepted['spark-job']!);
}, 20 * 60_000);
