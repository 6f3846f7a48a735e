import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadClusterPresets } from '../client/cluster-presets-file.js';
import { ClustersClient } from '../client/clusters.js';
import { createCluster } from '../client/create-cluster.js';
import { knownClustersOf } from '../client/known-clusters.js';
import type { RuntimeConfig } from '../config.js';
import type { NodePoolOperation } from '../domain/cluster.js';
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

/** Clusters as the API sees them: with the presets and `local` of this configuration. */
const clustersOf = (client: Client, config: RuntimeConfig): ClustersClient => new ClustersClient(client, config.taskQueue, knownClustersOf(config));

/** Shows a node pool operation until it ends; a failure sets the exit code. */
async function followNodePoolOperation(clusters: ClustersClient, name: string, operation: NodePoolOperation): Promise<void> {
  console.log(`node pool ${operation.pool} of cluster ${name}: ${operation.kind} queued (operation ${operation.id})`);
  let shown = operation.state;
  for (;;) {
    const current = (await clusters.status(name)).nodePoolOperations?.find((candidate) => candidate.id === operation.id);
    if (!current) throw new Error(`operation ${operation.id} is no longer listed by cluster ${name}`);
    if (current.state !== shown) console.log(`node pool ${operation.pool}: ${current.state}${current.error ? `: ${current.error}` : ''}`);
    shown = current.state;
    if (current.state === 'FAILED') process.exitCode = 1;
    if (current.state === 'DONE' || current.state === 'FAILED') return;
    await sleep(1_000);
  }
}

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
      const clusters = clustersOf(client, config);
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
      console.log(JSON.stringify(await clustersOf(client, config).status(name), null, 2));
    }));

  cluster.command('kubeconfig')
    .description('Write a kubeconfig for a RUNNING cluster (no secret in it: GKE clusters use gke-gcloud-auth-plugin).')
    .argument('<name>')
    .option('--output <file>', 'where to write it (default: standard output)')
    .action((name: string, options: { output?: string }) => withTemporal(async ({ client }, config) => {
      const kubeconfig = `${JSON.stringify(await clustersOf(client, config).kubeconfig(name), null, 2)}\n`;
      if (options.output) writeFileSync(options.output, kubeconfig, { mode: 0o600 });
      else process.stdout.write(kubeconfig);
    }));

  cluster.command('resize')
    .description('Resize a node pool of a GKE cluster (nodes per zone) and show the operation until it ends.')
    .argument('<name>')
    .argument('<pool>')
    .argument('<node-count>', 'nodes per zone', Number)
    .option('--detach', 'return once the operation is queued')
    .action((name: string, pool: string, nodeCount: number, options: { detach?: boolean }) => withTemporal(async ({ client }, config) => {
      const clusters = clustersOf(client, config);
      const operation = await clusters.resizeNodePool(name, { pool, nodeCount, by: who() });
      if (!options.detach) await followNodePoolOperation(clusters, name, operation);
      else console.log(`operation ${operation.id} queued`);
    }));

  cluster.command('add-pool')
    .description('Add a node pool, from a node pool preset, to a GKE cluster and show the operation until it ends.')
    .argument('<name>')
    .argument('<pool>', 'the new pool\'s name')
    .requiredOption('--preset <preset>', 'node pool preset')
    .option('--detach', 'return once the operation is queued')
    .action((name: string, pool: string, options: { preset: string; detach?: boolean }) => withTemporal(async ({ client }, config) => {
      const clusters = clustersOf(client, config);
      const operation = await clusters.addNodePool(name, { pool, preset: options.preset, by: who() });
      if (!options.detach) await followNodePoolOperation(clusters, name, operation);
      else console.log(`operation ${operation.id} queued`);
    }));

  cluster.command('delete')
    .description('Destroy a cluster: GKE clusters are deleted, static ones detached.')
    .argument('<name>')
    .option('--reason <text>', 'why, kept in the cluster status')
    .action((name: string, options: { reason?: string }) => withTemporal(async ({ client }, config) => {
      await clustersOf(client, config).destroy(name, { reason: options.reason, by: who() });
      console.log(`destroy requested for cluster ${name}`);
    }));

  cluster.command('list')
    .description('Every cluster a job may use: cluster workflows newest first, then local and the unattached static presets.')
    .action(() => withTemporal(async ({ client }, config) => {
      const clusters = await clustersOf(client, config).list();
      for (const status of clusters) {
        const pools = (status.nodePools ?? []).map((pool) => `${pool.name}=${pool.nodeCount}${pool.state === 'RUNNING' ? '' : `(${pool.state})`}`).join(',');
        console.log([status.name, status.provider, status.phase, status.endpoint ?? '-', pools || '-'].join('\t'));
      }
      if (clusters.length === 0) console.log('no clusters');
    }));
}
