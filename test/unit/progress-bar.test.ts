import { describe, expect, test } from '@jest/globals';
import { clusterProgressLine } from '../../src/starter/progress-bar.js';

describe('clusterProgressLine', () => {
  test('a bar of 30 for the percentage, with the elapsed time', () => {
    expect(clusterProgressLine({ name: 'c1', phase: 'PROVISIONING', progress: { status: 'RUNNING', percent: 40, at: '', elapsedSeconds: 95 } }))
      .toBe(`c1  PROVISIONING  [${'#'.repeat(12)}${'-'.repeat(18)}]  40%  95s`);
  });

  test('percentages outside 0..100 are clamped', () => {
    expect(clusterProgressLine({ name: 'c1', phase: 'PROVISIONING', progress: { status: 'DONE', percent: 140, at: '', elapsedSeconds: 1 } }))
      .toBe(`c1  PROVISIONING  [${'#'.repeat(30)}] 100%  1s`);
  });

  test('without a percentage, the operation status; without progress, the phase alone', () => {
    expect(clusterProgressLine({ name: 'c1', phase: 'PROVISIONING', progress: { status: 'PENDING', at: '', elapsedSeconds: 3 } }))
      .toBe('c1  PROVISIONING  operation PENDING  3s');
    expect(clusterProgressLine({ name: 'c1', phase: 'RUNNING' })).toBe('c1  RUNNING');
  });
});
