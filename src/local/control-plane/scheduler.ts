import { httpGet } from '../http-probe.js';
import { toolBinary } from '../paths.js';
import { assertPortFree } from '../ports.js';
import { SupervisedProcess } from '../supervised-process.js';
import { logPath, type ControlPlaneContext } from './context.js';

export async function startScheduler(ctx: ControlPlaneContext): Promise<SupervisedProcess> {
  await assertPortFree('kube-scheduler', ctx.ports.scheduler);
  const kubeconfig = ctx.kubeconfigs.scheduler;
  const scheduler = SupervisedProcess.start({
    name: 'kube-scheduler',
    command: toolBinary('kubernetes', 'kube-scheduler'),
    args: [
      `--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1', `--secure-port=${ctx.ports.scheduler}`, `--cert-dir=${ctx.dir}/scheduler`,
      '--leader-elect=false', '--v=1',
    ],
    logFile: logPath(ctx, 'kube-scheduler'),
  });
  await scheduler.waitUntilReady('ready (/readyz)', async () => {
    const { status } = await httpGet(`https://127.0.0.1:${ctx.ports.scheduler}/readyz`, { rejectUnauthorized: false });
    return status === 200;
  }, 60_000);
  return scheduler;
}
