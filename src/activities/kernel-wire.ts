import { CoreV1Api } from '@kubernetes/client-node';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { kernelWireSignalName, type KernelWireReport } from '../domain/kernel-session.js';
import { KernelClient } from '../jupyter/kernel-client.js';
import { newMessage, type JupyterMessage } from '../jupyter/messages.js';
import { isTrackedRequest } from '../jupyter/tracked-requests.js';
import { heartbeatUntil, pause } from './activity-waits.js';
import { isNotFound, kube } from './kubernetes/api-errors.js';
import type { ClusterConnector } from './kubernetes/cluster-connector.js';
import { readKernelConnection } from './kubernetes/kernel-connection-secret.js';
import type { PodRef } from './pods.js';

/** How often what the wire showed is looked at; a change of state is reported at the next look. */
const lookMs = 5_000;
/** Use alone (no change of state) is reported at most this often: enough for an idle timer counted in minutes. */
const activeReportMs = 30_000;

/**
 * Waits, heartbeating, until the activity is cancelled. An activity whose workflow has ended must
 * end this way: the worker learns of the end only from a heartbeat's answer, and then cancels it
 * without telling the server; ending on its own first, it would report to an activity the server
 * no longer has ("Activity not found on completion").
 */
function untilCancelled(context: Context): Promise<never> {
  return heartbeatUntil(context, new Promise<never>(() => undefined), lookMs);
}

export function kernelWireActivities(clusters: ClusterConnector, temporal: Client) {
  return {
    /**
     * Watches a kernel's IOPub channel, which carries every client's use of the kernel whichever
     * gateway replica it came through, and signals its session whether the kernel is busy and
     * whether it was used. The state at the start is learnt by asking the kernel for its info on
     * the shell channel: the request waits behind a running execution, so until its idle status
     * comes the kernel counts as busy. Our own requests are not use, nor other clients' nudges and
     * interrupts (tracked-requests.ts). Ends when cancelled, or when the kernel has no connection
     * any more (its pod is gone).
     */
    async watchKernelWire(ref: PodRef & { kernelId: string }): Promise<void> {
      const context = Context.current();
      const api = (await clusters.access(ref.cluster)).config.makeApiClient(CoreV1Api);
      const info = await readKernelConnection(api, { namespace: ref.namespace, podName: ref.name });
      if (!info) return;
      let podIP: string | undefined;
      try {
        podIP = (await kube(`read pod ${ref.namespace}/${ref.name}`, () => api.readNamespacedPod({ name: ref.name, namespace: ref.namespace }))).status?.podIP;
      } catch (error) {
        if (isNotFound(error)) return;
        throw error;
      }
      if (!podIP) return;
      const workflowId = context.info.workflowExecution?.workflowId;
      if (!workflowId) throw ApplicationFailure.nonRetryable('watchKernelWire reports to the workflow that runs it', 'NoWorkflow');
      const session = temporal.workflow.getHandle(workflowId);
      const client = KernelClient.connect(info, podIP);
      let busy = true;
      let active = false;
      // The probe: a kernel_info_request on shell, which waits behind a running cell. Its `idle`
      // status, in IOPub's own order among everyone's statuses, says the kernel was idle then.
      const probe = newMessage('kernel_info_request', {}, client.session);
      client.onMessage((message: JupyterMessage) => {
        if (message.channel !== 'iopub') return;
        const status = message.header.msg_type === 'status' ? message.content.execution_state : undefined;
        if (message.parent_header.session === client.session) {
          if (message.parent_header.msg_id === probe.header.msg_id && status === 'idle') busy = false;
          return;
        }
        if (!isTrackedRequest(message.parent_header.msg_type)) return;
        active = true;
        if (status !== undefined) busy = status !== 'idle';
      });
      // After ready(), so that IOPub is subscribed when the probe's status comes.
      client.ready(24 * 3600_000).then(() => client.send('shell', probe), () => undefined).catch(() => undefined);
      let reported: KernelWireReport | undefined;
      let reportedAt = 0;
      try {
        for (;;) {
          // Looks after waiting, so that the first report is the probe's answer, not the unknown state before it.
          context.heartbeat();
          await pause(context, lookMs);
          const now = Date.now();
          const report = { busy, active };
          if (reported?.busy !== busy || (active && now - reportedAt >= activeReportMs)) {
            context.log.debug('kernel wire report', { ...report });
            try {
              await session.signal<[KernelWireReport]>(kernelWireSignalName, report);
            } catch (error) {
              // The session ended without waiting for this watch, which it had cancelled.
              if (!(error instanceof WorkflowNotFoundError)) throw error;
              return await untilCancelled(context);
            }
            reported = report;
            reportedAt = now;
            active = false;
          }
        }
      } finally {
        client.close();
      }
    },
  };
}
