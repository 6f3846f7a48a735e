import { managedByLabel, managedByValue, ownerLabel } from '../../../src/domain/labels.js';
import { toDnsLabel } from '../../../src/domain/naming.js';
import { labelledLeftovers } from '../../support/labelled-leftovers.js';
import { adminKubeConfig } from './kube.js';

const admin = adminKubeConfig();

/** Every object of ours that a workflow left on the cluster (its owner label), as "Kind namespace/name". */
export async function leftBy(workflowId: string): Promise<string[]> {
  const leftovers = await labelledLeftovers(admin, `${managedByLabel}=${managedByValue},${ownerLabel}=${toDnsLabel(workflowId)}`);
  return leftovers.map((leftover) => `${leftover.kind} ${leftover.where}`);
}
