// The workflow types the worker registers. Each workflow family adds its export here.
export { sparkJob } from './spark-job.js';
