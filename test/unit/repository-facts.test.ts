/** The facts check detection reads, from a commit's objects: regular files only, what the commit has (not the work tree). */
import { mkdirSync, symlinkSync, writeFileSync } from 'fs';
import * as path from 'path';
import { readCommitFacts } from '../../activities/environment/repository-facts';
import { gitIn, makeGitRepo, removeGitRepos } from '../support/git-fixtures';

afterAll(() => removeGitRepos());

function write(repo: string, name: string, text: string): void {
  mkdirSync(path.dirname(path.join(repo, name)), { recursive: true });
  writeFileSync(path.join(repo, name), text);
}

test('root files by their text; a symlinked Makefile is absent; uncommitted files are not facts', async () => {
  const repo = makeGitRepo('demo-repo');
  write(repo, 'pyproject.toml', '[tool.pytest.ini_options]\n');
  write(repo, 'AGENTS.md', '## Checks\n- `npm test`\n');
  write(repo, 'elsewhere.mk', 'test:\n\ttrue\n');
  symlinkSync('elsewhere.mk', path.join(repo, 'Makefile'));
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'facts');
  write(repo, 'setup.cfg', '[tool:pytest]\n');
  const facts = await readCommitFacts(repo, gitIn(repo, 'rev-parse', 'HEAD'));
  expect(facts).toMatchObject({
    pyprojectToml: '[tool.pytest.ini_options]\n',
    agents: '## Checks\n- `npm test`\n',
    hasPythonTests: false,
  });
  expect(JSON.parse(facts.packageJson ?? '{}')).toMatchObject({ scripts: { test: 'node --test test/' } });
  expect(facts.makefile).toBeUndefined();
  expect(facts.setupCfg).toBeUndefined();
  expect(facts.rootEntries).toEqual([
    'AGENTS.md',
    'Makefile',
    'README.md',
    'elsewhere.mk',
    'package.json',
    'pyproject.toml',
    'src',
    'test',
  ]);
});

test('Python tests count three path segments deep, never inside node_modules or a venv', async () => {
  const deep = makeGitRepo('demo-repo');
  write(deep, 'a/b/c/test_deep.py', '');
  write(deep, 'node_modules/x/test_vendored.py', '');
  write(deep, '.venv/lib/test_site.py', '');
  gitIn(deep, 'add', '-A', '-f');
  gitIn(deep, 'commit', '-q', '-m', 'no counted tests');
  expect((await readCommitFacts(deep, 'HEAD')).hasPythonTests).toBe(false);
  write(deep, 'pkg/tests/calc_test.py', '');
  gitIn(deep, 'add', '-A');
  gitIn(deep, 'commit', '-q', '-m', 'a test');
  expect((await readCommitFacts(deep, 'HEAD')).hasPythonTests).toBe(true);
});
