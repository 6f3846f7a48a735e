/** What a user holds a bounded number of at once. */
export type QuotaKind = 'kernel' | 'spark-job';

/** One quota workflow per user and kind: `kernel-quota-alice`, `spark-job-quota-alice`. */
export const userQuotaWorkflowId = (kind: QuotaKind, user: string): string => `${kind}-quota-${user}`;

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
