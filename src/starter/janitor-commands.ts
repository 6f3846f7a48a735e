import type { Command } from 'commander';
import { JanitorClient } from '../client/janitor.js';
import type { JanitorReport } from '../domain/janitor.js';
import { withTemporal } from './connection.js';

/** A line per removed object, then a summary: what an operator reads after a sweep. */
function printReport(report: JanitorReport): void {
  for (const object of report.removed) {
    console.log([object.cluster, object.kind, object.namespace ? `${object.namespace}/${object.name}` : object.name, `${object.workflowId} (${object.owner})`].join('\t'));
  }
  for (const failure of report.failures) console.log(`not swept: ${failure}`);
  console.log(`swept ${report.clusters.length} cluster(s) at ${report.startedAt}: ${report.checked} labelled object(s), ${report.removed.length} removed`);
}

export function registerJanitorCommands(program: Command): void {
  const janitor = program.command('janitor').description('The janitor: removes objects whose workflow ended without cleaning up (e.g. terminated by hand).');

  janitor.command('run')
    .description('Sweep every cluster now and print what was removed.')
    .action(() => withTemporal(async ({ client }, config) => {
      printReport(await new JanitorClient(client, config.taskQueue).runNow(config.janitorGraceSeconds));
    }));

  janitor.command('last')
    .description('Print the report of the latest finished sweep.')
    .action(() => withTemporal(async ({ client }, config) => {
      const report = await new JanitorClient(client, config.taskQueue).lastReport();
      if (report) printReport(report);
      else console.log('the janitor has not finished a sweep yet');
    }));
}
