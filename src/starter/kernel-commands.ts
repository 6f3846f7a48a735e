import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { kernelContext } from '../client/kernel-catalog.js';
import { knownClustersOf } from '../client/known-clusters.js';
import { KernelsClient } from '../client/kernels.js';
import { startKernel } from '../client/start-kernel.js';
import { withTemporal } from './connection.js';
import { keyValue, positiveInteger } from './options.js';

interface StartOptions {
  user: string;
  kernel?: string;
  kernelId?: string;
  cluster?: string;
  env?: Record<string, string>;
  cullIdleTimeout?: number;
  detach?: boolean;
}

export function registerKernelCommands(program: Command): void {
  const kernel = program.command('kernel').description('Kernel sessions (Enterprise Gateway semantics).');

  kernel.command('start')
    .description('Start a kernel and wait until it runs (unless --detach).')
    .requiredOption('--user <login>', 'DSS login, also KERNEL_USERNAME')
    .option('--kernel <name>', 'a configured kernel (default: the default kernel)')
    .option('--kernel-id <id>', 'idempotency key (default: a new UUID)')
    .option('--cluster <name>', 'target cluster', 'local')
    .option('--env <KERNEL_X=value>', 'KERNEL_* variable (repeatable)', keyValue)
    .option('--cull-idle-timeout <seconds>', 'cull after this long without activity', positiveInteger)
    .option('--detach', 'print the kernel id and return at once')
    .action((options: StartOptions) => withTemporal(async ({ client }, config) => {
      const started = await startKernel({ temporal: client, taskQueue: config.taskQueue, kernels: kernelContext(config), knownClusters: knownClustersOf(config) }, {
        user: options.user,
        ...(options.kernel ? { kernelName: options.kernel } : {}),
        ...(options.kernelId ? { kernelId: options.kernelId } : {}),
        cluster: options.cluster,
        ...(options.env ? { env: options.env } : {}),
        ...(options.cullIdleTimeout ? { cullIdleTimeoutSeconds: options.cullIdleTimeout } : {}),
      });
      console.log(`kernel ${started.kernelId}${started.existing ? ' (already started)' : ''}  workflow ${started.workflowId}  namespace ${started.plan.namespace}`);
      if (options.detach) return;
      const kernels = new KernelsClient(client, config.taskQueue);
      for (;;) {
        const status = await kernels.status(started.kernelId);
        if (status.phase === 'RUNNING') {
          console.log(`RUNNING  pod ${status.namespace}/${status.pod}  IP ${status.podIP ?? '-'}`);
          return;
        }
        if (status.phase !== 'STARTING') {
          console.log(`${status.phase}${status.error ? `: ${status.error}` : ''}`);
          process.exitCode = 1;
          return;
        }
        await sleep(500);
      }
    }));

  kernel.command('status')
    .description('Show a kernel (JSON).')
    .argument('<kernelId>')
    .action((kernelId: string) => withTemporal(async ({ client }, config) => {
      console.log(JSON.stringify(await new KernelsClient(client, config.taskQueue).status(kernelId), null, 2));
    }));

  kernel.command('touch')
    .description('Mark the kernel as used: resets its idle timer.')
    .argument('<kernelId>')
    .action((kernelId: string) => withTemporal(async ({ client }, config) => {
      await new KernelsClient(client, config.taskQueue).touch(kernelId);
      console.log(`activity recorded for kernel ${kernelId}`);
    }));

  kernel.command('restart')
    .description('A new kernel in the same session (namespace, idle deadline), as Jupyter\'s restart; waits until it answers.')
    .argument('<kernelId>')
    .action((kernelId: string) => withTemporal(async ({ client }, config) => {
      const status = await new KernelsClient(client, config.taskQueue).restart(kernelId, { by: `starter (${process.env.USER ?? 'unknown user'})` });
      console.log(`RUNNING again  pod ${status.namespace}/${status.pod}  IP ${status.podIP ?? '-'}  launched ${status.launchedAt ?? '-'}`);
    }));

  kernel.command('stop')
    .description('Shut a kernel down: pod, and the namespace and binding it created, are removed.')
    .argument('<kernelId>')
    .option('--reason <text>', 'why, kept in the kernel status')
    .action((kernelId: string, options: { reason?: string }) => withTemporal(async ({ client }, config) => {
      await new KernelsClient(client, config.taskQueue).shutdown(kernelId, { reason: options.reason, by: `starter (${process.env.USER ?? 'unknown user'})` });
      console.log(`shutdown requested for kernel ${kernelId}`);
    }));

  kernel.command('list')
    .description('Kernels, newest first.')
    .option('--user <login>', 'only this user\'s')
    .action((options: { user?: string }) => withTemporal(async ({ client }, config) => {
      const kernels = await new KernelsClient(client, config.taskQueue).list({ user: options.user });
      for (const status of kernels) {
        console.log([status.kernelId, status.kernelName, status.phase, status.executionState ?? '-', status.user, status.namespace, status.podIP ?? '-'].join('\t'));
      }
      if (kernels.length === 0) console.log('no kernels');
    }));
}
