import { Command, InvalidArgumentError } from 'commander';
import { buildListQuery, type ListFilter } from './client/visibility-query.js';
import { connectTemporal } from './client/temporal.js';
import { loadRuntimeConfig } from './config.js';

/** The CLI for people: talks to Temporal directly through the client facade. */
const program = new Command('starter')
  .description('Start, follow, cancel and list compute-orchestrator workflows.')
  .showHelpAfterError();

const positiveInteger = (raw: string): number => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new InvalidArgumentError('must be a positive integer');
  return value;
};

program.command('list')
  .description('List workflows, newest first, filtered by search attributes.')
  .option('--user <login>', 'DSS user (DssUser)')
  .option('--kind <kind>', 'spark-job, kernel or cluster (ComputeKind)')
  .option('--namespace <name>', 'Kubernetes namespace (K8sNamespace)')
  .option('--cluster <name>', 'cluster name (ClusterName)')
  .option('--status <status>', 'Running, Completed, Failed, Canceled, Terminated or TimedOut')
  .option('--limit <n>', 'at most this many', positiveInteger, 50)
  .action(async (options: ListFilter & { limit: number }) => {
    const temporal = await connectTemporal(loadRuntimeConfig());
    try {
      const query = buildListQuery(options);
      let shown = 0;
      for await (const execution of temporal.client.workflow.list(query ? { query } : {})) {
        const attributes = execution.typedSearchAttributes;
        const user = attributes.getAll().find((pair) => pair.key.name === 'DssUser')?.value;
        console.log([execution.workflowId, execution.type, execution.status.name, execution.startTime.toISOString(), user ?? '-'].join('\t'));
        if (++shown >= options.limit) break;
      }
      if (shown === 0) console.log(query ? `no workflow matches ${query}` : 'no workflows yet');
    } finally {
      await temporal.close();
    }
  });

await program.parseAsync().catch((error: Error) => {
  console.error(`starter: ${error.message}`);
  process.exit(1);
});
