// Lint rules. The workflow rule is what keeps workflows deterministic: files in
// workflows/ may import only the workflow SDK (and @temporalio/common, which it
// re-exports), each other, and activity *types*.
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['assert', 'buffer', 'child_process', 'crypto', 'dns', 'events', 'fs', 'fs/promises', 'http', 'https', 'net', 'os', 'path', 'process', 'stream', 'timers', 'tls', 'url', 'util', 'worker_threads', 'zlib'];

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
            { group: ['dockerode', 'openai', 'openai/*', '@octokit/*', '@temporalio/worker', '@temporalio/client', '@temporalio/activity', 'tar-stream'], message: 'workflows may not import side-effecting packages; call an activity' },
            { group: ['../activities/*', '!../activities/activity-types'], message: 'workflows import activities only as types, through activities/activity-types' },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports' }],
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'use sleep() from @temporalio/workflow' }, { name: 'setInterval', message: 'not deterministic' }],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'use the SDK-seeded Math.random only through @temporalio/workflow uuid4() or avoid randomness' },
      ],
    },
  },
);
