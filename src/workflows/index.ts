// The workflow types the worker registers. Each workflow family adds its export here.
export { cluster } from './cluster.js';
export { kernelSession } from './kernel-session.js';
export { sparkJob } from './spark-job.js';
export { sparkLease } from './spark-lease.js';
export { janitor } from './janitor.js';
export { userQuota } from './user-quota.js';
