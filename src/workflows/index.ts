// The workflow types the worker registers. Each workflow family adds its export here.
export { kernelSession } from './kernel-session.js';
export { sparkJob } from './spark-job.js';
