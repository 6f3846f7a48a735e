import type { QuotaKind } from './workflow-ids.js';

export interface QuotaOwner {
  kind: QuotaKind;
  user: string;
}

/** The refusal, in the user's words. */
export function limitMessage({ kind, user }: QuotaOwner, held: number, limit: number): string {
  return kind === 'kernel'
    ? `user '${user}' already has ${held} kernels, the limit is ${limit}: shut one down first`
    : `user '${user}' already has ${held} Spark jobs in flight, the limit is ${limit}: wait for one to end or cancel one`;
}
