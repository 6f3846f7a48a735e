import { describe, expect, test } from '@jest/globals';
import { podEndOf } from '../../src/domain/pod-state.js';

const where = 'pod ns-a/kernel-1';

describe('podEndOf', () => {
  test('a pod that is gone disappeared before it ended', () => {
    expect(podEndOf(where, undefined)).toEqual({ failure: 'pod ns-a/kernel-1 disappeared before it ended', failureType: 'PodDisappeared' });
  });

  test('a pod still pending or running has not ended', () => {
    expect(podEndOf(where, { status: { phase: 'Pending' } })).toBeUndefined();
    expect(podEndOf(where, { status: { phase: 'Running', podIP: '10.0.0.7' } })).toBeUndefined();
    expect(podEndOf(where, {})).toBeUndefined();
  });

  test("an ended pod gives its named container's exit, not another container's", () => {
    const status = {
      phase: 'Failed',
      containerStatuses: [
        { name: 'sidecar', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        { name: 'kernel', state: { terminated: { exitCode: 3, reason: 'Error' } } },
      ],
    };
    expect(podEndOf(where, { status }, 'kernel')).toEqual({ succeeded: false, exitCode: 3, reason: 'Error' });
    expect(podEndOf(where, { status })).toEqual({ succeeded: false, exitCode: 0, reason: 'Completed' });
  });

  test('an ended pod without container statuses takes its exit from its phase, with no reason', () => {
    expect(podEndOf(where, { status: { phase: 'Succeeded' } })).toStrictEqual({ succeeded: true, exitCode: 0 });
    expect(podEndOf(where, { status: { phase: 'Failed' } })).toStrictEqual({ succeeded: false, exitCode: 1 });
  });

  test('a pod that cannot start says why, in Kubernetes words', () => {
    const pulling = { phase: 'Pending', containerStatuses: [{ name: 'kernel', state: { waiting: { reason: 'ErrImagePull', message: 'image "x" not found' } } }] };
    expect(podEndOf(where, { status: pulling })).toEqual({ failure: 'pod ns-a/kernel-1 cannot start: ErrImagePull: image "x" not found', failureType: 'PodCannotStart' });
    const unschedulable = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available' }] };
    expect(podEndOf(where, { status: unschedulable })).toEqual({ failure: 'pod ns-a/kernel-1 cannot start: Unschedulable: 0/2 nodes are available', failureType: 'PodCannotStart' });
  });

  test('a container that is only creating is not stuck', () => {
    const creating = { phase: 'Pending', containerStatuses: [{ name: 'kernel', state: { waiting: { reason: 'ContainerCreating' } } }] };
    expect(podEndOf(where, { status: creating })).toBeUndefined();
  });
});
