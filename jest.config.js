// ESM TypeScript through swc; `npm test` runs node with --experimental-vm-modules.
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
};
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform,
};

export default {
  // Integration tests drive real components: pods, namespaces and workers take seconds.
  testTimeout: 120_000,
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/test/unit'] },
    {
      ...common,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      globalSetup: '<rootDir>/test/integration/stack/global-setup.mjs',
      globalTeardown: '<rootDir>/test/integration/stack/global-teardown.mjs',
    },
    // The host a real node runs on: run on their own (`npm test` runs them after the others), as
    // the machine's one real node must be free for them.
    { ...common, displayName: 'host', roots: ['<rootDir>/test/host'] },
    // The chaos soak runs a stack of its own and restarts its parts: alone, after the others.
    { ...common, displayName: 'soak', roots: ['<rootDir>/test/soak'], globalSetup: '<rootDir>/test/soak/global-setup.mjs' },
  ],
};
