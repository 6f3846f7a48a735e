/**
 * Activities that follow a pod for as long as it lives run on their own task queue, served by a
 * worker with many slots: a thousand idle kernels must not take the slots that spark-submit and
 * cleanup need.
 */
export const watchTaskQueue = (taskQueue: string): string => `${taskQueue}-watch`;
