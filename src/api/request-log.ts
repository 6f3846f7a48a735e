import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ComputeKind } from '../domain/labels.js';
import { computeWorkflowId } from '../domain/workflow-ids.js';
import { computeLogContext } from '../domain/log-context.js';

/** The path parameter naming the job, kernel or cluster a route acts on. */
const idParams: Record<ComputeKind, string> = { 'spark-job': 'jobId', kernel: 'kernelId', cluster: 'name' };

/** Adds fields to every later log line of this request, Fastify's `request completed` included (it logs through the reply's logger). */
export function logAbout(request: FastifyRequest, reply: FastifyReply, fields: Record<string, string>): void {
  const child = request.log.child(fields);
  request.log = child;
  reply.log = child;
}

/** The workflow a request acts on, as worker log lines name it; `user` only when not logged already. */
export function logWorkflow(request: FastifyRequest, reply: FastifyReply, kind: ComputeKind, workflowId: string, user?: string): void {
  logAbout(request, reply, { workflowId, ...computeLogContext(workflowId, kind, user) });
}

/**
 * For a route of a kind (its `computeKind` config), after validation: the workflow its path names
 * and the DSS user its body names. A start without a client-chosen id logs its workflow itself.
 */
export function logRequestSubject(request: FastifyRequest, reply: FastifyReply, kind: ComputeKind): void {
  const id = (request.params as Record<string, unknown> | undefined)?.[idParams[kind]];
  const body = request.body as { user?: unknown } | undefined;
  const user = typeof body?.user === 'string' ? body.user : undefined;
  if (typeof id === 'string') logWorkflow(request, reply, kind, computeWorkflowId(kind, id), user);
  else if (user !== undefined) logAbout(request, reply, { dssUser: user });
}
