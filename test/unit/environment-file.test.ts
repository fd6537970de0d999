/** `.drydock/environment.json`: strict, every problem at once, one line each naming the file and the key path. */
import { readFileSync } from 'fs';
import * as path from 'path';
import { ApplicationFailure } from '@temporalio/common';
import { parseEnvironmentFile, readEnvironmentFile } from '../../activities/environment/environment-file';

const problemsOf = (value: unknown): string[] => {
  const reading = readEnvironmentFile(JSON.stringify(value));
  if (reading.ok) throw new Error('expected problems');
  return reading.problems;
};

test('a valid file: setup list joined, checks, env in order, services, toolchains.node as a string', () => {
  const reading = readEnvironmentFile(
    JSON.stringify({
      setup: ['python3 -m venv .venv', '.venv/bin/pip install -e .'],
      checks: ['.venv/bin/python -m pytest -q'],
      env: { VIRTUAL_ENV: '/workspace/.venv', PATH: '/workspace/.venv/bin:$PATH' },
      services: [{ name: 'db', command: 'redis-server', ready: 'redis-cli ping' }],
      toolchains: { node: 22 },
    }),
  );
  expect(reading).toEqual({
    ok: true,
    file: {
      setup: 'python3 -m venv .venv\n.venv/bin/pip install -e .',
      checks: ['.venv/bin/python -m pytest -q'],
      env: { VIRTUAL_ENV: '/workspace/.venv', PATH: '/workspace/.venv/bin:$PATH' },
      services: [{ name: 'db', command: 'redis-server', ready: 'redis-cli ping' }],
      toolchains: { node: '22' },
    },
  });
  expect(Object.keys(reading.ok ? reading.file.env : {})).toEqual(['VIRTUAL_ENV', 'PATH']);
  expect(readEnvironmentFile(JSON.stringify({ toolchains: { node: '22.11.0' } }))).toMatchObject({
    ok: true,
    file: { toolchains: { node: '22.11.0' } },
  });
});

test('maintenance: a command or a list joined like setup; anything else is refused', () => {
  expect(
    readEnvironmentFile(JSON.stringify({ setup: 'npm ci', maintenance: ['npm ci --offline', 'true'] })),
  ).toMatchObject({
    ok: true,
    file: { setup: 'npm ci', maintenance: 'npm ci --offline\ntrue' },
  });
  expect(problemsOf({ maintenance: 7 })).toEqual([
    '.drydock/environment.json: maintenance: must be a command string or a list of command strings, got 7',
  ]);
});

test('no file is no setup, no checks and nothing else', () => {
  expect(readEnvironmentFile(null)).toEqual({ ok: true, file: { env: {}, services: [], toolchains: {} } });
});

test('every problem is reported at once, each naming the file and the key path', () => {
  expect(
    problemsOf({
      setup: 42,
      checks: 'npm test',
      env: { PATH: 3 },
      toolchains: { node: 'banana' },
      services: [{ name: 'DB', command: '' }],
    }),
  ).toEqual([
    '.drydock/environment.json: setup: must be a command string or a list of command strings, got 42',
    '.drydock/environment.json: checks: must be a list of command strings, got "npm test"',
    '.drydock/environment.json: env.PATH: must be a string, got 3',
    '.drydock/environment.json: services[0].name: must be a lower-case host name (a-z, 0-9, -; at most 31 characters)',
    '.drydock/environment.json: services[0].command: must not be empty',
    '.drydock/environment.json: toolchains.node: "banana" is not a Node version (use a major such as 22, or an exact version such as 22.11.0)',
  ]);
});

test('an unknown key is refused, with "did you mean" when it is close to a known one', () => {
  expect(problemsOf({ chekcs: ['npm test'], Setup: 'x', toolchain: {}, colour: 'red' })).toEqual([
    '.drydock/environment.json: unknown key "chekcs" (did you mean "checks"?)',
    '.drydock/environment.json: unknown key "Setup" (did you mean "setup"?)',
    '.drydock/environment.json: unknown key "toolchain" (did you mean "toolchains"?)',
    '.drydock/environment.json: unknown key "colour" (known keys: setup, maintenance, checks, env, services, toolchains, internet)',
  ]);
  expect(problemsOf({ toolchains: { nod: '22' }, services: [{ name: 'db', comand: 'x' }] })).toEqual([
    '.drydock/environment.json: services[0].command: missing (must be a command string)',
    '.drydock/environment.json: services[0]: unknown key "comand" (did you mean "command"?)',
    '.drydock/environment.json: toolchains: unknown key "nod" (did you mean "node"?)',
  ]);
});

test('env refuses names that are not variable names and names drydock owns', () => {
  expect(problemsOf({ env: { '1ST': 'a', 'MY-VAR': 'b', HOME: '/root', DRYDOCK_TOKEN: 'x', OK_1: 'fine' } })).toEqual([
    '.drydock/environment.json: env.1ST: "1ST" is not a variable name (letters, digits and _, not starting with a digit)',
    '.drydock/environment.json: env.MY-VAR: "MY-VAR" is not a variable name (letters, digits and _, not starting with a digit)',
    '.drydock/environment.json: env.HOME: HOME is set by drydock and cannot be changed',
    '.drydock/environment.json: env.DRYDOCK_TOKEN: DRYDOCK_TOKEN is set by drydock and cannot be changed',
  ]);
});

test.each([
  [{ toolchains: { node: 'v22' } }, 'toolchains.node: "v22" is not a Node version'],
  [{ toolchains: { node: '22.x' } }, 'toolchains.node: "22.x" is not a Node version'],
  [{ toolchains: { node: 22.5 } }, 'toolchains.node: 22.5 is not a Node version'],
  [{ toolchains: 'node 22' }, 'toolchains: must be an object such as { "node": "22" }'],
  [{ checks: [] }, 'checks: must name at least one command'],
  [{ checks: ['npm test', ' '] }, 'checks[1]: must not be empty'],
  [{ setup: ['ok', 2] }, 'setup: must be a command string or a list of command strings, got ["ok",2]'],
  [{ env: ['PATH=/x'] }, 'env: must be an object of NAME: "value"'],
  [
    {
      services: [
        { name: 'db', command: 'a' },
        { name: 'db', command: 'b' },
      ],
    },
    'services[1].name: db is declared twice',
  ],
  [{ services: [{ name: 'db', command: 'a', image: '-bad' }] }, 'services[0].image: is not an image name'],
  [['setup'], 'must be a JSON object'],
])('%j → %s', (value, problem) => {
  expect(problemsOf(value)).toEqual([expect.stringContaining(`.drydock/environment.json: ${problem}`)]);
});

test('not JSON at all is one problem; parseEnvironmentFile throws a non-retryable InvalidEnvironment with every line', () => {
  expect(readEnvironmentFile('{ "setup": ')).toEqual({
    ok: false,
    problems: [expect.stringMatching(/^\.drydock\/environment\.json is not valid JSON: /)],
  });
  let thrown: unknown;
  try {
    parseEnvironmentFile(JSON.stringify({ setup: 1, toolchains: { node: 'banana' } }));
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(ApplicationFailure);
  expect(thrown).toMatchObject({ type: 'InvalidEnvironment', nonRetryable: true });
  expect((thrown as Error).message.split('\n')).toHaveLength(2);
});

test('every example in docs/environment.md is a valid file', () => {
  const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'environment.md'), 'utf8');
  const examples = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  expect(examples.length).toBeGreaterThanOrEqual(4);
  for (const example of examples) expect(readEnvironmentFile(example)).toMatchObject({ ok: true });
});
