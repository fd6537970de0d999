/** Which checks verify a change when the environment file names none: AGENTS.md first, then the repository's layout. */
import { checksFromInstructions, detectChecks, type RepositoryFacts } from '../../activities/environment/detect-checks';

test('AGENTS.md: a fenced block or backticked list items under a checks/tests heading', () => {
  const md = [
    '# Notes',
    '```',
    'rm -rf /',
    '```',
    '## Testing',
    'Run these:',
    '```sh',
    '$ npm run lint',
    'npm test',
    '# a comment',
    '```',
    '## Style',
    '- `not a check`',
  ].join('\n');
  expect(checksFromInstructions(md)).toEqual(['npm run lint', 'npm test']);
  expect(checksFromInstructions('## Checks\n- `make test`\n- `go vet ./...`\n')).toEqual(['make test', 'go vet ./...']);
  expect(checksFromInstructions('# Readme\nnothing here')).toEqual([]);
});

const NPM_TEST = '{"scripts":{"test":"vitest run"}}';
const facts = (rootEntries: string[], more: Partial<RepositoryFacts> = {}): RepositoryFacts => ({
  rootEntries,
  hasPythonTests: false,
  ...more,
});

test.each<[string, RepositoryFacts, string[]]>([
  ['npm: package-lock.json', facts(['package.json', 'package-lock.json'], { packageJson: NPM_TEST }), ['npm test']],
  ['npm: no lockfile', facts(['package.json'], { packageJson: NPM_TEST }), ['npm test']],
  ['pnpm: pnpm-lock.yaml', facts(['package.json', 'pnpm-lock.yaml'], { packageJson: NPM_TEST }), ['pnpm test']],
  ['yarn: yarn.lock', facts(['package.json', 'yarn.lock'], { packageJson: NPM_TEST }), ['yarn test']],
  [
    'package.json packageManager wins over a stray lockfile',
    facts(['package.json', 'package-lock.json'], {
      packageJson: '{"packageManager":"pnpm@9.12.0","scripts":{"test":"vitest"}}',
    }),
    ['pnpm test'],
  ],
  ['a lockfile without a test script: no check', facts(['package.json', 'yarn.lock'], { packageJson: '{}' }), []],
  [
    "npm init's placeholder test script: no check",
    facts(['package.json'], { packageJson: '{"scripts":{"test":"echo \\"Error: no test specified\\" && exit 1"}}' }),
    [],
  ],
  ['an unreadable package.json: no check', facts(['package.json'], { packageJson: '{ nope' }), []],
  [
    'pyproject.toml with [tool.pytest.ini_options]',
    facts(['pyproject.toml', 'src'], {
      pyprojectToml: '[project]\nname = "x"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n',
    }),
    ['python3 -m pytest -q'],
  ],
  [
    'pyproject.toml with tox config',
    facts(['pyproject.toml', 'src'], { pyprojectToml: '[tool.tox]\nrequires = ["tox>=4"]\n' }),
    ['python3 -m pytest -q'],
  ],
  [
    'pyproject.toml without test config or tests: no check',
    facts(['pyproject.toml', 'src'], { pyprojectToml: '[project]\n' }),
    [],
  ],
  ['pytest.ini', facts(['pytest.ini', 'src']), ['python3 -m pytest -q']],
  ['tox.ini', facts(['tox.ini', 'src']), ['python3 -m pytest -q']],
  [
    'setup.cfg with [tool:pytest]',
    facts(['setup.cfg'], { setupCfg: '[metadata]\nname=x\n[tool:pytest]\n' }),
    ['python3 -m pytest -q'],
  ],
  ['test_*.py files', facts(['calc.py'], { hasPythonTests: true }), ['python3 -m pytest -q']],
  ['pyproject.toml and a tests folder', facts(['pyproject.toml', 'tests']), ['python3 -m pytest -q']],
  [
    'a virtualenv in .venv after setup: its python',
    facts(['pyproject.toml', 'tests'], { venv: '.venv' }),
    ['.venv/bin/python -m pytest -q'],
  ],
  ['a virtualenv in venv after setup', facts(['pytest.ini'], { venv: 'venv' }), ['venv/bin/python -m pytest -q']],
  ['a virtualenv alone implies no check', facts(['README.md'], { venv: '.venv' }), []],
  ['go.mod', facts(['go.mod', 'main.go']), ['go test ./...']],
  ['Cargo.toml', facts(['Cargo.toml', 'src']), ['cargo test']],
  [
    'Makefile with a test target',
    facts(['Makefile'], { makefile: 'build:\n\tcc x.c\ntest: build\n\t./t\n' }),
    ['make test'],
  ],
  ['Makefile with a test variable, no target', facts(['Makefile'], { makefile: 'test := 1\nall:\n\ttrue\n' }), []],
  [
    'Makefile next to go.mod: the language check only',
    facts(['Makefile', 'go.mod'], { makefile: 'test:\n\tgo test ./...\n' }),
    ['go test ./...'],
  ],
  [
    'several languages: each its check, in order',
    facts(['package.json', 'yarn.lock', 'pytest.ini', 'go.mod', 'Cargo.toml'], {
      packageJson: NPM_TEST,
      venv: '.venv',
    }),
    ['yarn test', '.venv/bin/python -m pytest -q', 'go test ./...', 'cargo test'],
  ],
  ['nothing to go on', facts(['README.md']), []],
])('%s', (_name, given, checks) => {
  expect(detectChecks(given).map((c) => c.command)).toEqual(checks);
});

test('every detected check says why', () => {
  expect(
    detectChecks(
      facts(['package.json', 'pnpm-lock.yaml', 'pyproject.toml', 'tests'], { packageJson: NPM_TEST, venv: '.venv' }),
    ),
  ).toEqual([
    { command: 'pnpm test', reason: 'package.json has a test script; pnpm-lock.yaml' },
    {
      command: '.venv/bin/python -m pytest -q',
      reason: 'a Python project with a tests folder; a virtualenv in .venv after setup',
    },
  ]);
});
