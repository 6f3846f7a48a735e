/** Calls that do nothing: what remains of a workflow's time is Temporal's. */
export const floorActivities = {
  async noop(): Promise<void> {},
};
