/** Which checks verify a change: AGENTS.md first, then the repository's files. */
import { checksFromInstructions, detectChecks } from '../../activities/host/detect-checks';

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

test.each([
  [{ rootEntries: ['package.json'], packageJson: '{"scripts":{"test":"jest"}}', hasPythonTests: false }, ['npm test']],
  [
    {
      rootEntries: ['package.json'],
      packageJson: '{"scripts":{"test":"echo \\"Error: no test specified\\" && exit 1"}}',
      hasPythonTests: false,
    },
    [],
  ],
  [{ rootEntries: ['calc.py'], hasPythonTests: true }, ['python3 -m pytest -q']],
  [{ rootEntries: ['pyproject.toml', 'tests'], hasPythonTests: false }, ['python3 -m pytest -q']],
  [{ rootEntries: ['go.mod'], hasPythonTests: false }, ['go test ./...']],
  [{ rootEntries: ['Cargo.toml'], hasPythonTests: false }, ['cargo test']],
  [
    { rootEntries: ['Makefile'], makefile: 'build:\n\tcc x.c\ntest: build\n\t./t\n', hasPythonTests: false },
    ['make test'],
  ],
  [{ rootEntries: ['README.md'], hasPythonTests: false }, []],
])('%j → %j', (facts, checks) => {
  expect(detectChecks(facts)).toEqual(checks);
});
