/**
 * The real-repos bench's tasks are data: every manifest in bench/repos/tasks
 * parses and the set covers the four languages; a malformed manifest gets one
 * clear message per problem naming the file and the field; a task repository
 * holds the injected bug on main, ignores what setup creates, carries the
 * environment file, and its gold patch is exactly the injection reversed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadTasks, parseManifest, tasksDir, type RepoTask } from '../../bench/repos/manifest';
import { gitIn, makeTaskRepo } from '../../bench/repos/task-repo';
import { projectRoot } from '../../activities/find-above';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'bench-repos-test-'));
  dirs.push(d);
  return d;
}

const MANIFEST = {
  language: 'python',
  source: { registry: 'pypi', package: 'calc', version: '1.2.3' },
  bug: { file: 'calc/ops.py', find: 'return a + b', replace: 'return a - b', kind: 'wrong operator' },
  ignore: ['.venv/', '*.egg-info/'],
  setup: 'python3 -m venv .venv && .venv/bin/pip install -e . pytest',
  checks: ['.venv/bin/python -m pytest -q'],
};

test('every task in bench/repos/tasks parses, and the tasks cover Python, JavaScript, Go and Rust, two each at least', () => {
  const tasks = loadTasks(tasksDir(projectRoot()));
  expect(tasks.length).toBeGreaterThanOrEqual(8);
  const perLanguage = new Map<string, number>();
  for (const t of tasks) perLanguage.set(t.language, (perLanguage.get(t.language) ?? 0) + 1);
  for (const language of ['python', 'javascript', 'go', 'rust'])
    expect({ language, atLeastTwo: (perLanguage.get(language) ?? 0) >= 2 }).toEqual({ language, atLeastTwo: true });
  // Exact versions only: a task must build the same source every time.
  for (const t of tasks) expect(t.source.version).toMatch(/^v?\d+\.\d+\.\d+/);
});

test('a malformed manifest is refused with one message per problem, each naming the file and the field', () => {
  const bad = {
    ...MANIFEST,
    language: 'go',
    source: { registry: 'cpan', package: '', version: 'latest' },
    bug: { file: '../etc/passwd', find: 'x', replace: 'x', kind: '' },
    checks: [],
    extra: true,
  };
  let message = '';
  try {
    parseManifest('bad', 'tasks/bad/manifest.json', JSON.stringify(bad));
  } catch (err) {
    message = (err as Error).message;
  }
  const lines = message.split('\n');
  expect(lines.every((l) => l.startsWith('tasks/bad/manifest.json: '))).toBe(true);
  for (const field of [
    'unknown key "extra"',
    'source.registry',
    'source.package',
    'source.version',
    'bug.file',
    'bug.replace',
    'bug.kind',
    'checks',
  ])
    expect(message).toContain(field);
  expect(() => parseManifest('x', 'tasks/x/manifest.json', '{ nope')).toThrow('tasks/x/manifest.json: not valid JSON');
  expect(() => parseManifest('x', 'tasks/x/manifest.json', JSON.stringify({ ...MANIFEST, language: 'rust' }))).toThrow(
    'language must be "python" for the pypi registry',
  );
});

/** The upstream file: blank lines after the bug, so the gold patch ends in a context line that is a lone space. */
const UPSTREAM = 'def add(a, b):\n    return a + b\n\n\n\ndef sub(a, b):\n    return a - 0 - b\n';

function source(): string {
  const dir = tempDir();
  mkdirSync(path.join(dir, 'pkg', 'calc'), { recursive: true });
  mkdirSync(path.join(dir, 'pkg', 'calc.egg-info'), { recursive: true });
  writeFileSync(path.join(dir, 'pkg', 'calc', 'ops.py'), UPSTREAM);
  writeFileSync(path.join(dir, 'pkg', 'calc.egg-info', 'PKG-INFO'), 'Name: calc\n');
  writeFileSync(path.join(dir, 'pkg', '.gitignore'), 'dist/');
  return path.join(dir, 'pkg');
}

test('a task repository holds the bug on main; the gold patch reverses exactly the injection', () => {
  const task = parseManifest('calc', 'tasks/calc/manifest.json', JSON.stringify(MANIFEST));
  const repo = makeTaskRepo(task, source());
  dirs.push(repo.dir);
  // One commit on main, with the bug, the environment file and the extended .gitignore; setup's leftovers ignored.
  expect(gitIn(repo.dir, 'rev-list', '--count', 'main')).toBe('1');
  expect(gitIn(repo.dir, 'show', 'main:calc/ops.py')).toContain('return a - b');
  expect(JSON.parse(gitIn(repo.dir, 'show', 'main:.drydock/environment.json'))).toEqual({
    setup: MANIFEST.setup,
    checks: MANIFEST.checks,
  });
  expect(gitIn(repo.dir, 'show', 'main:.gitignore')).toBe(
    'dist/\n# created by setup (drydock bench)\n.venv/\n*.egg-info/',
  );
  expect(gitIn(repo.dir, 'ls-files')).not.toContain('egg-info');
  expect(gitIn(repo.dir, 'status', '--porcelain')).toBe('');
  // The gold patch, applied to main, gives back the upstream file and the gold tree.
  expect(repo.goldFiles).toEqual(['calc/ops.py']);
  const work = path.join(tempDir(), 'w');
  gitIn(path.dirname(work), 'clone', '-q', repo.dir, work);
  execFileSync('git', ['apply', '-'], { cwd: work, input: repo.goldPatch });
  expect(readFileSync(path.join(work, 'calc', 'ops.py'), 'utf8')).toBe(UPSTREAM);
  gitIn(work, 'add', '-A');
  expect(gitIn(work, 'write-tree')).toBe(repo.goldTree);
});

test('an injection that does not match exactly once is refused, naming the manifest', () => {
  const twice: RepoTask = parseManifest(
    'calc',
    'tasks/calc/manifest.json',
    JSON.stringify({ ...MANIFEST, bug: { ...MANIFEST.bug, find: 'return a' } }),
  );
  expect(() => makeTaskRepo(twice, source())).toThrow(
    'bench/repos/tasks/calc/manifest.json: bug.find occurs 2 times in calc/ops.py (it must occur exactly once)',
  );
  const ambiguous = parseManifest(
    'calc',
    'tasks/calc/manifest.json',
    JSON.stringify({ ...MANIFEST, bug: { ...MANIFEST.bug, find: 'a + b', replace: 'a - 0 - b' } }),
  );
  expect(() => makeTaskRepo(ambiguous, source())).toThrow('bug.replace occurs 2 times in the broken calc/ops.py');
});
