import { asyncLocalStorage } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

/** The HTTP status of a failed Kubernetes API call (client-node's ApiException), if any. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

export const isNotFound = (error: unknown): boolean => statusOf(error) === 404;
export const isConflict = (error: unknown): boolean => statusOf(error) === 409;

function reason(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      return body.slice(0, 300);
    }
  }
  return (error as Error).message?.split('\n')[0] ?? String(error);
}

/** For operators: failed Kubernetes calls by HTTP status (`network` without one), from activities (start-up checks have no meter). */
function countApiError(status: number | undefined): void {
  asyncLocalStorage.getStore()?.metricMeter
    .createCounter('compute_orchestrator_kubernetes_api_errors', '1', 'Failed Kubernetes API calls by HTTP status')
    .add(1, { code: status === undefined ? 'network' : String(status) });
}

/**
 * An API server that has just started answers 403 to everyone until its RBAC caches are filled
 * (the chaos soak met it: a kernel's cleanup failed on it, one second after a restart). A refusal
 * is therefore tried again until this worker has met the same one for this long; then believed.
 * Counted from the refusal, not from the activity's first attempt: an activity that waited out an
 * outage may meet the restarted server's 403s long after it began (the 30-minute soak met that too).
 */
export const forbiddenPatienceMs = 60_000;
/** The same refusal met this long after it was first met is a new one: its patience starts afresh. */
const refusalMemoryMs = 5 * 60_000;
/** When this worker first met each refusal, by its message (which names the call and the object). */
const firstMet = new Map<string, number>();

/** Whether a refusal met by the running activity may still be an API server warming up (see forbiddenPatienceMs); never outside an activity. */
export function refusalMayPass(message: string): boolean {
  if (asyncLocalStorage.getStore() === undefined) return false;
  const now = Date.now();
  for (const [known, at] of firstMet) if (now - at > refusalMemoryMs) firstMet.delete(known);
  const first = firstMet.get(message) ?? now;
  firstMet.set(message, first);
  return now - first < forbiddenPatienceMs;
}

/** A refusal of the API server as a typed failure: tried again while `refusalMayPass`, final after. */
export function refusal(message: string, type: string): ApplicationFailure {
  return refusalMayPass(message) ? ApplicationFailure.retryable(message, type) : ApplicationFailure.nonRetryable(message, type);
}

const forbidden = (what: string, error: unknown): ApplicationFailure => refusal(`${what}: forbidden: ${reason(error)}`, 'KubernetesForbidden');

/**
 * Kubernetes errors become typed failures, once: a refusal (403, past `forbiddenPatienceMs`) or an
 * invalid object (400, 422) will not change by retrying; everything else (429, 5xx, network) is
 * retried with backoff.
 */
export function asFailure(error: unknown, what: string): Error {
  const status = statusOf(error);
  countApiError(status);
  // Admission refuses a pod whose service account the controller has not created yet, in a
  // namespace made a moment ago: that refusal passes by itself.
  if (status === 403 && /error looking up service account .* not found/.test(reason(error))) {
    return ApplicationFailure.retryable(`${what}: ${reason(error)}`, 'KubernetesUnavailable');
  }
  if (status === 403) return forbidden(what, error);
  if (status === 400 || status === 422) return ApplicationFailure.nonRetryable(`${what}: invalid: ${reason(error)}`, 'KubernetesInvalid');
  return ApplicationFailure.retryable(`${what}: ${status ? `HTTP ${status}: ` : ''}${reason(error)}`, 'KubernetesUnavailable');
}

/**
 * Whether a failure from asFailure may pass by itself: a wait that reads the API again and again
 * (a pod's deletion, a kernel's launch) looks again at its next look rather than failing its
 * attempt, which, reading many times, would fail far more often than one call does.
 */
export const mayPass = (failure: Error): boolean => failure instanceof ApplicationFailure && !failure.nonRetryable;

/** Runs a Kubernetes call, turning its error into a typed failure that names what was done. */
export async function kube<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asFailure(error, what);
  }
}
