import { log } from '@temporalio/workflow';

/**
 * Moves a status to its next phase and says so in the worker's log. The workflow logger emits no
 * command and stays silent on replay, so history and determinism are unchanged and a line is
 * logged once, not once per replay.
 */
export function enterPhase<P extends string>(status: { phase: P }, phase: P): void {
  status.phase = phase;
  log.info(`phase ${phase}`, { phase });
}
