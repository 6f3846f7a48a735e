import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import globals from 'globals';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];
const noNodeBuiltins = (message) => nodeBuiltins.map((name) => ({ name, message }));

/**
 * The layers of DESIGN.md ("Layers"): an import, as written relative to the importing file
 * (`../client/kernels.js`, `../../worker.js`; `./api/app.js` from a file directly under src/), of
 * a folder or file directly under src/. `starter[^/]*` is the CLI (starter.ts and starter/),
 * `worker[^/]*` the worker bootstrap.
 */
const layerRule = (names, message, up = '(\\.\\./)+') => ({ regex: `^${up}(${names.join('|')})(/|\\.js$)`, message });
const restrictLayers = (files, ...patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });
const cliMayNotImport = ['api', 'local', 'worker[^/]*', 'workflows', 'activities'];
const cliMessage = 'The CLI goes through the use cases of src/client, like the API.';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.local/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'test/integration/stack/*.mjs', 'test/soak/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Fastify plugins and route handlers are async by contract, with or without an await.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Plain JavaScript (configs, Jest's global setup): no type information to check against.
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  {
    // Tests read JSON answers whose shape is what they assert.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node built-ins; activities
    // are called through proxies, so only their types are imported. src/workflows is one folder.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: noNodeBuiltins('Workflows are deterministic: no Node built-ins (use an activity).'),
        patterns: [
          { regex: '^\\.\\./activities/', allowTypeImports: true, message: 'Workflows import activity types only (`import type`): activities run outside the sandbox.' },
          { regex: '^\\.\\./(?!activities/|domain/)', message: 'Workflows import only workflow and domain modules (and activity types).' },
        ],
      }],
      'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval', 'Buffer', '__dirname'],
    },
  },
  {
    // Pure code that workflows run in their sandbox too. src/domain is one folder.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: noNodeBuiltins('Domain code is pure and runs in workflows too: no Node built-ins.'),
        patterns: [{ regex: '^\\.\\./(?!domain/)', message: 'Domain modules import only other domain modules.' }],
      }],
    },
  },
  restrictLayers(['src/activities/**/*.ts'],
    layerRule(['workflows', 'client', 'api', 'local', 'starter[^/]*', 'worker[^/]*'], 'Activities are side effects that workflows call: they import no workflow, client, API, CLI, local-stack or worker module.')),
  restrictLayers(['src/client/**/*.ts'],
    layerRule(['api', 'starter[^/]*', 'local', 'worker[^/]*', 'activities'], 'Use cases serve the API and the CLI alike: they import neither, nor activities or the worker (workflow signal and query definitions are fine).')),
  restrictLayers(['src/api/**/*.ts'],
    layerRule(['starter[^/]*', 'local', 'worker[^/]*', 'workflows'], 'The API reaches workflows through the use cases of src/client, and knows nothing of the CLI, the local stack or the worker.')),
  restrictLayers(['src/starter/**/*.ts'], layerRule(cliMayNotImport, cliMessage)),
  restrictLayers(['src/starter.ts'], layerRule(cliMayNotImport, cliMessage, '\\./')),
  restrictLayers(['src/codec/**/*.ts', 'src/jupyter/**/*.ts'],
    layerRule(['api', 'client', 'starter[^/]*', 'local', 'worker[^/]*', 'workflows', 'activities'], 'Payload encryption and the Jupyter protocol are libraries the layers above use: they import none of them.')),
);
