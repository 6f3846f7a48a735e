import { describe, expect, test } from '@jest/globals';
import { devServerDynamicConfigFlags } from '../../src/local/temporal-dynamic-config.js';

describe('the Temporal dynamic configuration', () => {
  test('reaches the dev server as flags, one per setting, values as the server parses them', () => {
    const flags = devServerDynamicConfigFlags();
    const values = flags.filter((_flag, index) => index % 2 === 1);
    expect(flags.filter((_flag, index) => index % 2 === 0).every((flag) => flag === '--dynamic-config-value')).toBe(true);
    expect(values).toEqual(expect.arrayContaining(['system.enableActivityEagerExecution=true', 'frontend.namespaceRPS.visibility=100']));
  });
});
