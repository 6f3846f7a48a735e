import { status } from '@grpc/grpc-js';

/** The methods the simulator implements; the others answer UNIMPLEMENTED. */
export type SimulatedMethod =
  | 'CreateCluster'
  | 'GetCluster'
  | 'ListClusters'
  | 'DeleteCluster'
  | 'GetOperation'
  | 'ListOperations'
  | 'CancelOperation'
  | 'SetNodePoolSize'
  | 'CreateNodePool'
  | 'GetNodePool';

/** How a create operation ends when a failure was injected: the google.rpc.Status it reports. */
export interface OperationFailure {
  code: status;
  message: string;
}

/** A CreateCluster rejected outright, before any operation starts. */
export interface CreateRejection {
  code: status;
  message: (clusterPath: string) => string;
}

interface Countdown<Fault> {
  fault: Fault;
  remaining: number;
}

function countdown<Fault>(fault: Fault, times: number): Countdown<Fault> {
  if (!Number.isInteger(times) || times < 1) throw new RangeError(`times must be a positive integer, got ${times}`);
  return { fault, remaining: times };
}

/** Uses up one occurrence of the first fault that applies, in the order they were injected. */
function take<Fault>(queue: Countdown<Fault>[], applies: (fault: Fault) => boolean = () => true): Fault | undefined {
  const index = queue.findIndex((entry) => applies(entry.fault));
  const entry = queue[index];
  if (entry === undefined) return undefined;
  entry.remaining -= 1;
  if (entry.remaining === 0) queue.splice(index, 1);
  return entry.fault;
}

/** Failures injected by a test, each used up by the calls or operations it hits. */
export class Faults {
  private readonly createRejections: Countdown<CreateRejection>[] = [];
  private readonly operationFailures: Countdown<OperationFailure>[] = [];
  private readonly outages: Countdown<{ only: SimulatedMethod | undefined }>[] = [];

  rejectCreates(rejection: CreateRejection, times: number): void {
    this.createRejections.push(countdown(rejection, times));
  }

  failOperations(failure: OperationFailure, times: number): void {
    this.operationFailures.push(countdown(failure, times));
  }

  /** `method` undefined: whatever method is called next. */
  beUnavailable(times: number, method: SimulatedMethod | undefined): void {
    this.outages.push(countdown({ only: method }, times));
  }

  takeCreateRejection(): CreateRejection | undefined {
    return take(this.createRejections);
  }

  takeOperationFailure(): OperationFailure | undefined {
    return take(this.operationFailures);
  }

  takeOutage(method: string): boolean {
    return take(this.outages, ({ only }) => only === undefined || only === method) !== undefined;
  }
}
