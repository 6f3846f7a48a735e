import type { Command } from 'commander';
import { searchAttributeKeys } from '../domain/search-attributes.js';
import { buildListQuery, type ListFilter } from '../domain/visibility-query.js';
import { withTemporal } from './connection.js';
import { positiveInteger } from './options.js';

export function registerListCommand(program: Command): void {
  program.command('list')
    .description('List workflows, newest first, filtered by search attributes.')
    .option('--user <login>', 'DSS user (DssUser)')
    .option('--kind <kind>', 'spark-job, kernel or cluster (ComputeKind)')
    .option('--namespace <name>', 'Kubernetes namespace (K8sNamespace)')
    .option('--cluster <name>', 'cluster name (ClusterName)')
    .option('--status <status>', 'Running, Completed, Failed, Canceled, Terminated or TimedOut')
    .option('--limit <n>', 'at most this many', positiveInteger, 50)
    .action((options: ListFilter & { limit: number }) => withTemporal(async ({ client }) => {
      const query = buildListQuery(options);
      let shown = 0;
      for await (const execution of client.workflow.list(query ? { query } : {})) {
        const user = execution.typedSearchAttributes.get(searchAttributeKeys.dssUser);
        console.log([execution.workflowId, execution.type, execution.status.name, execution.startTime.toISOString(), user ?? '-'].join('\t'));
        if (++shown >= options.limit) break;
      }
      if (shown === 0) console.log(query ? `no workflow matches ${query}` : 'no workflows yet');
    }));
}
