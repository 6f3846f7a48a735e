import { describe, expect, test } from '@jest/globals';
import { loadRuntimeConfig } from '../../src/config.js';

describe('loadRuntimeConfig', () => {
  test('has loopback defaults', () => {
    expect(loadRuntimeConfig({})).toMatchObject({
      temporalAddress: '127.0.0.1:7233', temporalNamespace: 'default', taskQueue: 'compute-orchestrator', apiHost: '127.0.0.1', apiPort: 8080,
    });
  });

  test('reads the environment', () => {
    expect(loadRuntimeConfig({ TEMPORAL_ADDRESS: 'temporal:7233', API_PORT: '9090', TEMPORAL_TASK_QUEUE: 'q' }))
      .toMatchObject({ temporalAddress: 'temporal:7233', apiPort: 9090, taskQueue: 'q' });
  });

  test('names the variable that is wrong', () => {
    expect(() => loadRuntimeConfig({ API_PORT: 'eighty' })).toThrow("API_PORT must be an integer of at least 1, got 'eighty'");
    expect(() => loadRuntimeConfig({ API_BODY_LIMIT_BYTES: '-1' })).toThrow(/API_BODY_LIMIT_BYTES/);
    expect(() => loadRuntimeConfig({ KERNEL_MAX_PER_USER: '-1' })).toThrow("KERNEL_MAX_PER_USER must be an integer of at least 0, got '-1'");
  });

  test('kernel limits: 10 per user by default, 0 lifts the limit', () => {
    expect(loadRuntimeConfig({})).toMatchObject({ kernelMaxPerUser: 10, kernelHistoryEventLimit: 2_000, maxPodWatches: 5_000 });
    expect(loadRuntimeConfig({ KERNEL_MAX_PER_USER: '0' }).kernelMaxPerUser).toBe(0);
  });

  test('codec: keys in .local by default; CORS for the local Web UI, a list of origins, or none', () => {
    expect(loadRuntimeConfig({})).toMatchObject({
      codecKeysFile: '.local/codec-keys.json', codecCorsOrigins: ['http://127.0.0.1:8233', 'http://localhost:8233'],
    });
    expect(loadRuntimeConfig({ CODEC_KEYS_FILE: '/etc/co/keys.json', CODEC_CORS_ORIGINS: 'https://temporal.example.com, http://10.0.0.5:8080' }))
      .toMatchObject({ codecKeysFile: '/etc/co/keys.json', codecCorsOrigins: ['https://temporal.example.com', 'http://10.0.0.5:8080'] });
    expect(loadRuntimeConfig({ CODEC_CORS_ORIGINS: '' }).codecCorsOrigins).toEqual([]);
    expect(() => loadRuntimeConfig({ CODEC_CORS_ORIGINS: 'https://temporal.example.com/' }))
      .toThrow("CODEC_CORS_ORIGINS must be a comma-separated list of origins such as http://127.0.0.1:8233, got 'https://temporal.example.com/'");
    expect(() => loadRuntimeConfig({ CODEC_CORS_ORIGINS: '*' })).toThrow(/CODEC_CORS_ORIGINS/);
  });
});
