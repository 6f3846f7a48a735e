/**
 * The chaos soak: a mixed load of Spark jobs, kernel sessions and GKE clusters on a stack of its
 * own, under faults drawn from a seed, then every invariant checked (bench/soak/).
 * Usage: npm run soak -- [--minutes 30] [--seed 1] [--no-faults] [--report soak-report.json]
 * Prints the report as tables; writes it as JSON; exits 1 if any invariant was violated or the
 * soak could not run as drawn (a fault not injected, a client script that failed).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatReport, soakRanAsDrawn } from './soak/report.js';
import { runSoak } from './soak/run-soak.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    seed: { type: 'string', default: '1' },
    'no-faults': { type: 'boolean', default: false },
    report: { type: 'string', default: 'soak-report.json' },
  },
});
const minutes = Number(values.minutes);
const seed = Number(values.seed);
if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error(`--minutes must be a number of minutes from 1 to 1440, got '${values.minutes}'`);
if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got '${values.seed}'`);

const started = Date.now();
const report = await runSoak({ minutes, seed, faults: !values['no-faults'], log: (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${line}`) });
writeFileSync(values.report, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\n${formatReport(report)}\n\nreport: ${values.report}`);
process.exit(report.violations.length === 0 && soakRanAsDrawn(report) ? 0 : 1);
