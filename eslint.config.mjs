// Lint rules. The workflow rule is what keeps workflows deterministic: files in
// workflows/ may import only the workflow SDK (and @temporalio/common, which it
// re-exports), each other, and activity *types*. The layer rules keep imports
// pointing one way: shared plain types → adapters (sandbox, model, codehost,
// tools, store, security) → activity modules (host/, agent/) → workers; the CLI
// is a client; no cycles anywhere.
import { builtinModules } from 'node:module';
import importPlugin from 'eslint-plugin-import';
import tseslint from 'typescript-eslint';

const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));
const ADAPTERS = ['sandbox', 'model', 'codehost', 'tools', 'store', 'security'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/fixtures/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: [
      'activities/**/*.ts',
      'workers/**/*.ts',
      'cli/**/*.ts',
      'workflows/**/*.ts',
      'scripted-model/**/*.ts',
      'bench/**/*.ts',
      'scripts/**/*.ts',
      'test/**/*.ts',
    ],
    plugins: { import: importPlugin },
    settings: {
      'import/resolver': { node: { extensions: ['.ts', '.js'] } },
      'import/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import/no-cycle': ['error', { ignoreExternal: true }],
      'import/no-restricted-paths': [
        'error',
        {
          zones: [
            ...ADAPTERS.map((a) => ({
              target: `./activities/${a}`,
              from: [
                './activities/host',
                './activities/agent',
                './activities/index.ts',
                './activities/activity-types.ts',
                './workers',
                './cli',
              ],
              message:
                'adapters import no activity module, worker or client: move the shared piece down (activities/shared) or the caller up',
            })),
            {
              target: './activities/shared',
              from: ['./activities', './workers', './cli'],
              except: ['./shared'],
              message: 'activities/shared holds plain types only: it imports nothing above it',
            },
            {
              target: './activities',
              from: ['./workers', './cli', './bench', './test'],
              message: 'activities import no worker, client, bench or test code',
            },
            {
              target: './workers',
              from: ['./cli', './bench', './test'],
              message: 'workers import no client, bench or test code',
            },
            {
              target: './scripted-model',
              from: ['./activities', './workflows', './workers', './cli', './bench', './test', './scripts'],
              message: 'the scripted model stands in for a model endpoint: it imports only Node and its own files',
            },
            {
              target: './cli',
              from: [
                './workers',
                './activities/host',
                './activities/agent',
                './activities/index.ts',
                './activities/store',
              ],
              message: 'the CLI is a client: it reaches workers and their data through Temporal',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.flatMap((m) => [
            { name: m, message: 'workflows are deterministic: no Node builtins (do it in an activity)' },
            { name: `node:${m}`, message: 'workflows are deterministic: no Node builtins (do it in an activity)' },
          ]),
          patterns: [
            {
              group: [
                'dockerode',
                'openai',
                'openai/*',
                '@octokit/*',
                '@temporalio/worker',
                '@temporalio/client',
                '@temporalio/activity',
                'tar-stream',
              ],
              message: 'workflows may not import side-effecting packages; call an activity',
            },
            {
              group: ['../activities/*', '!../activities/activity-types'],
              message: 'workflows import activities only as types, through activities/activity-types',
            },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports' }],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'use sleep() from @temporalio/workflow' },
        { name: 'setInterval', message: 'not deterministic' },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message: 'use the SDK-seeded Math.random only through @temporalio/workflow uuid4() or avoid randomness',
        },
      ],
    },
  },
);
