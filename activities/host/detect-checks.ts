/**
 * Which checks verify a change: the commands AGENTS.md names, else the ones a
 * repository's files imply (package.json test script, pytest, go test, cargo
 * test, make test). Pure functions over what inspectRepository read.
 */

/** What the repository root holds, as inspectRepository read it. */
export interface RepositoryFacts {
  /** Names of the entries at the repository root. */
  rootEntries: string[];
  packageJson?: string;
  makefile?: string;
  /** True when a file named test_*.py or *_test.py exists (two levels deep at most). */
  hasPythonTests: boolean;
}

/**
 * Commands from AGENTS.md: the lines of a fenced code block, or the backticked
 * commands of a list, under a heading that mentions checks or tests.
 */
export function checksFromInstructions(markdown: string): string[] {
  const lines = markdown.split('\n');
  const found: string[] = [];
  let inSection = false;
  let inFence = false;
  for (const line of lines) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading && !inFence) {
      inSection = /\b(checks?|tests?|testing|verify|verification)\b/i.test(heading[1] ?? '');
      continue;
    }
    if (!inSection) continue;
    if (/^\s*```/.test(line)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) {
      const cmd = line.trim().replace(/^\$\s+/, '');
      if (cmd && !cmd.startsWith('#')) found.push(cmd);
      continue;
    }
    const item = /^\s*[-*]\s+`([^`]+)`/.exec(line);
    if (item?.[1]) found.push(item[1].trim());
  }
  return [...new Set(found)];
}

/** Checks implied by the repository's files, in a fixed order. */
export function detectChecks(facts: RepositoryFacts): string[] {
  const has = (name: string) => facts.rootEntries.includes(name);
  const checks: string[] = [];
  if (facts.packageJson) {
    try {
      const pkg = JSON.parse(facts.packageJson) as { scripts?: Record<string, unknown> };
      const test = pkg.scripts?.test;
      if (typeof test === 'string' && !/no test specified/.test(test)) checks.push('npm test');
    } catch {
      // An unreadable package.json implies no npm check.
    }
  }
  const pythonConfig = ['pytest.ini', 'pyproject.toml', 'setup.cfg', 'tox.ini', 'conftest.py'].some(has);
  if (facts.hasPythonTests || (pythonConfig && (has('tests') || has('test')))) checks.push('python3 -m pytest -q');
  if (has('go.mod')) checks.push('go test ./...');
  if (has('Cargo.toml')) checks.push('cargo test');
  if (checks.length === 0 && facts.makefile && /^test\s*:/m.test(facts.makefile)) checks.push('make test');
  return checks;
}
