import { KubeConfig } from '@kubernetes/client-node';
import { status as grpcStatus } from '@grpc/grpc-js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { GkeClients } from '../../src/activities/gke/client.js';
import { loadClusterPresets } from '../../src/client/cluster-presets-file.js';
import type { TemporalHandle } from '../../src/client/temporal.js';
import { managedByLabel, managedByValue } from '../../src/domain/labels.js';
import { readAuditEvents } from '../../src/local/control-plane/audit-log.js';
import type { GkeSimulator } from '../../src/local/gke-simulator/index.js';
import { historyText } from '../../test/support/history-text.js';
import { labelledLeftovers } from '../../test/support/labelled-leftovers.js';
import type { RecordedCall } from './api-client.js';
import type { Downtime } from './faults.js';
import type { ForeignObject } from './foreign-objects.js';
import { isAccepted, type SoakItem } from './items.js';
import type { SecretScanner } from './secret-scan.js';

export const invariantNames = ['workflow-of-every-accepted-request', 'explained-end', 'nothing-left', 'foreign-untouched', 'created-once', 'user-limit', 'no-secret', 'no-5xx-while-up'] as const;
export type InvariantName = (typeof invariantNames)[number];

export interface Violation {
  invariant: InvariantName;
  workflowId?: string;
  detail: string;
}

/** What an item's inputs and the client's requests say its end must be: the acceptable phases. */
export function expectedEnds(item: SoakItem): string[] {
  const { plan } = item;
  switch (plan.kind) {
    case 'spark-job': {
      const natural = plan.exitCode === 0 ? 'SUCCEEDED' : 'FAILED';
      // A cancel that meets a driver already ended leaves the job its own end.
      return item.asked.cancel !== undefined ? ['CANCELLED', natural] : [natural];
    }
    case 'kernel':
      return plan.ending === 'culled' ? ['CULLED'] : ['STOPPED'];
    case 'cluster':
      return plan.fault === 'none' ? ['DELETED'] : ['FAILED'];
  }
}

/** A workflow as Temporal describes it after the soak; `undefined` when none has the id. */
export interface Described {
  status: string;
  startTime: number;
  closeTime?: number;
}

export async function describeAll(temporal: TemporalHandle, items: SoakItem[]): Promise<Map<string, Described | undefined>> {
  const described = new Map<string, Described | undefined>();
  for (const item of items.filter(isAccepted)) {
    try {
      const description = await temporal.client.workflow.getHandle(item.workflowId).describe();
      described.set(item.workflowId, { status: description.status.name, startTime: description.startTime.getTime(), closeTime: description.closeTime?.getTime() });
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      described.set(item.workflowId, undefined);
    }
  }
  return described;
}

/** Every accepted request has its workflow, closed (nothing stuck), once, in a phase its inputs explain. */
export async function checkEnds(temporal: TemporalHandle, items: SoakItem[], described: Map<string, Described | undefined>): Promise<Violation[]> {
  const violations: Violation[] = [];
  for (const item of items.filter(isAccepted)) {
    const { workflowId } = item;
    const workflow = described.get(workflowId);
    if (!workflow) {
      violations.push({ invariant: 'workflow-of-every-accepted-request', workflowId, detail: `accepted (${item.startStatus}) but no workflow exists` });
      continue;
    }
    const { status } = workflow;
    const closedRuns: string[] = [];
    for await (const run of temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}' AND ExecutionStatus != 'Running'` })) {
      if (run.status.name !== 'CONTINUED_AS_NEW') closedRuns.push(run.status.name);
    }
    if (closedRuns.length > 1) violations.push({ invariant: 'explained-end', workflowId, detail: `ended ${closedRuns.length} times: ${closedRuns.join(', ')}` });
    if (item.endedAgainAs) violations.push({ invariant: 'explained-end', workflowId, detail: `ended ${item.ended?.phase}, then answered ${item.endedAgainAs}` });
    if (item.terminatedAt !== undefined) {
      if (status !== 'TERMINATED') violations.push({ invariant: 'explained-end', workflowId, detail: `terminated by hand, yet ${status}` });
      continue;
    }
    const phase = item.last?.phase ?? 'never seen';
    if (status === 'RUNNING') {
      violations.push({ invariant: 'explained-end', workflowId, detail: `stuck: still running in phase ${phase} after the load stopped (phases seen: ${item.phases.join(' → ')})` });
      continue;
    }
    const expected = expectedEnds(item);
    if (!expected.includes(phase)) {
      violations.push({ invariant: 'explained-end', workflowId, detail: `ended ${phase} (${status}${item.last?.error ? `: ${item.last.error}` : ''}); its inputs say ${expected.join(' or ')}` });
    } else if (item.plan.kind === 'spark-job' && phase === 'FAILED' && item.last?.exitCode !== item.plan.exitCode) {
      violations.push({ invariant: 'explained-end', workflowId, detail: `FAILED with exit code ${item.last?.exitCode}; its driver exits ${item.plan.exitCode}` });
    } else if (item.plan.kind === 'kernel' && item.asked.evict !== undefined && !((item.last?.restarts ?? 0) > 0)) {
      violations.push({ invariant: 'explained-end', workflowId, detail: `its pod was evicted, yet the session never started it again (restarts ${item.last?.restarts})` });
    } else if (item.plan.kind !== 'cluster' && item.last?.cleanedUp !== true) {
      violations.push({ invariant: 'explained-end', workflowId, detail: `ended ${phase} without saying it cleaned up` });
    }
  }
  return violations;
}

/** Objects labelled as ours still on the cluster, and GKE clusters still there. */
export async function checkNothingLeft(adminKubeconfig: string, presetsFile: string): Promise<Violation[]> {
  const admin = new KubeConfig();
  admin.loadFromFile(adminKubeconfig);
  const violations: Violation[] = (await labelledLeftovers(admin, `${managedByLabel}=${managedByValue}`)).map((leftover) => ({
    invariant: 'nothing-left', workflowId: leftover.workflowId, detail: `${leftover.kind} ${leftover.where} left on the cluster`,
  }));
  const gke = new GkeClients(loadClusterPresets(presetsFile));
  try {
    const connection = gke.connection('simulator');
    const [listed] = await gke.client('simulator').listClusters({ parent: `projects/${connection.project}/locations/${connection.location}` });
    for (const cluster of listed.clusters ?? []) {
      violations.push({ invariant: 'nothing-left', workflowId: `cluster-${cluster.name}`, detail: `GKE cluster ${cluster.name} left (${String(cluster.status)})` });
    }
  } finally {
    await gke.close();
  }
  return violations;
}

/** The foreign objects are all there, as they were: same uid, not being deleted. */
export async function checkForeignUntouched(foreign: ForeignObject[]): Promise<Violation[]> {
  const violations: Violation[] = [];
  for (const object of foreign) {
    const now = await object.read().catch(() => undefined);
    if (!now) violations.push({ invariant: 'foreign-untouched', detail: `${object.description} was deleted` });
    else if (now.uid !== object.uid) violations.push({ invariant: 'foreign-untouched', detail: `${object.description} was replaced` });
    else if (now.deleting) violations.push({ invariant: 'foreign-untouched', detail: `${object.description} is being deleted` });
  }
  return violations;
}

/** What the audit log says of one job's driver pod or account: creations while one was alive, and creations after one was deleted. */
export interface CreationCounts {
  violations: Violation[];
  /**
   * Driver pods created again after the first was deleted by the job's own account before the
   * driver ran: Spark's submission deletes the pod it made when a later call of the same
   * submission fails (a 5xx of the fault proxy), and the activity submits again.
   */
  resubmittedAfterRollback: number;
}

/**
 * At most one driver pod and one account per job at any instant (the API server's audit log, in
 * order: a successful create while the object exists is a second one), and no more successful
 * CreateCluster calls than clusters.
 */
export function checkCreatedOnce(auditLogDir: string, items: SoakItem[], gke: GkeSimulator): CreationCounts {
  const history = new Map<string, Array<'created' | 'deleted'>>();
  for (const event of readAuditEvents(auditLogDir)) {
    const ref = event.objectRef;
    const code = event.responseStatus?.code ?? 0;
    if (ref?.subresource || !(code >= 200 && code < 300) || !['create', 'delete'].includes(event.verb)) continue;
    const key = `${ref?.resource}/${ref?.namespace}/${ref?.name}`;
    history.set(key, [...history.get(key) ?? [], event.verb === 'create' ? 'created' : 'deleted']);
  }
  const violations: Violation[] = [];
  let resubmittedAfterRollback = 0;
  for (const item of items.filter((each) => each.plan.kind === 'spark-job' && isAccepted(each))) {
    const { namespace, driverPod, serviceAccount } = item.last ?? {};
    for (const [resource, name] of [['pods', driverPod], ['serviceaccounts', serviceAccount]] as const) {
      let alive = false;
      let creations = 0;
      for (const change of history.get(`${resource}/${namespace}/${name}`) ?? []) {
        if (change === 'created' && alive) violations.push({ invariant: 'created-once', workflowId: item.workflowId, detail: `${resource} ${namespace}/${name} created while it existed` });
        if (change === 'created') creations += 1;
        alive = change === 'created';
      }
      if (resource === 'pods' && creations > 1) resubmittedAfterRollback += creations - 1;
    }
  }
  const clusterCreates = gke.calls().filter((call) => call.method === 'CreateCluster' && call.code === grpcStatus.OK).length;
  const clustersCreated = items.filter((item) => item.plan.kind === 'cluster' && isAccepted(item) && item.plan.fault !== 'quota').length;
  if (clusterCreates > clustersCreated) {
    violations.push({ invariant: 'created-once', detail: `${clusterCreates} successful CreateCluster calls for ${clustersCreated} clusters` });
  }
  return { violations, resubmittedAfterRollback };
}

/** Secrets in any log line of the stack's components or the orchestrator's processes, and in any history. */
export async function scanLogsAndHistories(scanner: SecretScanner, logDir: string, temporal: TemporalHandle): Promise<number> {
  for (const name of readdirSync(logDir).filter((file) => file.endsWith('.log'))) {
    scanner.scan(`log ${name}`, readFileSync(join(logDir, name), 'utf8'));
  }
  let histories = 0;
  for await (const execution of temporal.client.workflow.list()) {
    scanner.scan(`history of ${execution.workflowId} (${execution.runId})`, await historyText(temporal, execution.workflowId, execution.runId));
    histories += 1;
  }
  return histories;
}

/** A 5xx answer is allowed only while the API itself or Temporal was down (a window from going down to the API healthy again). */
export function checkNo5xxWhileUp(calls: RecordedCall[], downtime: Downtime[]): Violation[] {
  const graceMs = 5_000;
  return calls
    .filter((call) => call.status >= 500)
    .filter((call) => !downtime.some((window) => call.at <= window.to + graceMs && call.at + call.ms >= window.from))
    .map((call) => ({ invariant: 'no-5xx-while-up' as const, detail: `${call.method} ${call.path} answered ${call.status} at ${new Date(call.at).toISOString()} after ${call.ms} ms` }));
}
