/**
 * Requests whose side effects on IOPub say nothing about a client's use of the kernel, as
 * jupyter_server's `untracked_message_types`: readiness nudges, comm and kernel info, interrupts,
 * shutdowns, the debugger. Control requests among them are handled beside a running cell, so
 * their `busy`/`idle` statuses arrive in the middle of its own: counted, an idle status of a
 * nudge would make a busy kernel look idle (and cullable) until the cell ends.
 */
const untrackedRequests: ReadonlySet<string> = new Set([
  'kernel_info_request', 'comm_info_request', 'interrupt_request', 'shutdown_request', 'debug_request', 'usage_request',
]);

/** Whether what a request caused on IOPub (its statuses, its output) is a client's use of the kernel. */
export function isTrackedRequest(parentMsgType: string | undefined): boolean {
  return parentMsgType !== undefined && !untrackedRequests.has(parentMsgType);
}
