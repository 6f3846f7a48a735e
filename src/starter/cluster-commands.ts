import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadClusterPresets } from '../client/cluster-presets-file.js';
import { ClustersClient } from '../client/clusters.js';
import { createCluster } from '../client/create-cluster.js';
import { withTemporal } from './connection.js';
import { clusterProgressLine } from './progress-bar.js';

interface CreateOptions {
  provider: string;
  connection?: string;
  nodePool?: string[];
  idleTtl?: number;
  detach?: boolean;
}

const who = (): string => `starter (${process.env.USER ?? 'unknown user'})`;
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerClusterCommands(program: Command): void {
  const cluster = program.command('cluster').description('Clusters: GKE clusters created here, static clusters attached from presets.');

  cluster.command('create')
    .description('Create (gke) or attach (static) a cluster and show its progress until RUNNING (unless --detach).')
    .argument('<name>')
    .option('--provider <provider>', 'gke or static', 'gke')
    .option('--connection <preset>', 'GKE connection preset')
    .option('--node-pool <preset>', 'node pool preset (repeatable)', collect)
    .option('--idle-ttl <seconds>', 'destroy it once no job or kernel has used it for this long', Number)
    .option('--detach', 'return once the workflow has started')
    .action((name: string, options: CreateOptions) => withTemporal(async ({ client }, config) => {
      const started = await createCluster({ temporal: client, taskQueue: config.taskQueue, presets: loadClusterPresets(config.clusterPresetsFile) }, {
        name, provider: options.provider, ...(options.idleTtl !== undefined ? { idleTtlSeconds: options.idleTtl } : {}),
        ...(options.provider === 'gke' ? { gke: { connection: options.connection ?? '', nodePools: options.nodePool ?? [] } } : {}),
      }, who());
      const clusters = new ClustersClient(client, config.taskQueue);
      console.log(`cluster ${name}${started.existing ? ' (already exists)' : ''}  workflow ${started.workflowId}`);
      if (options.detach) return;
      // On a terminal the line is redrawn in place; in a log, a line per change.
      let shown = '';
      for (;;) {
        const status = await clusters.status(name);
        const line = clusterProgressLine(status);
        if (line !== shown) {
          process.stdout.write(process.stdout.isTTY ? `\r\x1b[K${line}` : `${line}\n`);
          shown = line;
        }
        if (status.phase !== 'PROVISIONING') {
          if (process.stdout.isTTY) process.stdout.write('\n');
          if (status.phase === 'RUNNING') console.log(`RUNNING  ${status.endpoint ?? ''}`);
          else {
            console.log(`${status.phase}${status.error ? `: ${status.error}` : ''}`);
            process.exitCode = 1;
          }
          return;
        }
        await sleep(1_000);
      }
    }));

  cluster.command('status')
    .description('Show a cluster (JSON).')
    .argument('<name>')
    .action((name: string) => withTemporal(async ({ client }, config) => {
      console.log(JSON.stringify(await new ClustersClient(client, config.taskQueue).status(name), null, 2));
    }));

  cluster.command('delete')
    .description('Destroy a cluster: GKE clusters are deleted, static ones detached.')
    .argument('<name>')
    .option('--reason <text>', 'why, kept in the cluster status')
    .action((name: string, options: { reason?: string }) => withTemporal(async ({ client }, config) => {
      await new ClustersClient(client, config.taskQueue).destroy(name, { reason: options.reason, by: who() });
      console.log(`destroy requested for cluster ${name}`);
    }));

  cluster.command('list')
    .description('Clusters, newest first.')
    .action(() => withTemporal(async ({ client }, config) => {
      const clusters = await new ClustersClient(client, config.taskQueue).list();
      for (const status of clusters) console.log([status.name, status.provider, status.phase, status.endpoint ?? '-'].join('\t'));
      if (clusters.length === 0) console.log('no clusters');
    }));
}
