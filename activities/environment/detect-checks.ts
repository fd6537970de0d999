/**
 * Which checks verify a change when the environment file names none: the
 * commands AGENTS.md names, else the ones the repository's layout implies
 * (its package manager's test script, pytest, go test, cargo test, make test).
 * Pure functions over the facts read from the base commit (repository-facts.ts)
 * and, for a virtualenv, the workspace after setup.
 */

/** What the repository root holds, read on the host from the base commit. */
export interface RepositoryFacts {
  /** Names of the entries at the repository root. */
  rootEntries: string[];
  packageJson?: string;
  makefile?: string;
  pyprojectToml?: string;
  setupCfg?: string;
  /** True when a file named test_*.py or *_test.py exists (three path segments deep at most). */
  hasPythonTests: boolean;
  /** The virtualenv setup left in the workspace (`.venv` or `venv`), a fact known only after setup. */
  venv?: string;
}

/** A check drydock found, and why. */
export interface DetectedCheck {
  command: string;
  /** What in the repository implied it. */
  reason: string;
}

/** Folders whose virtualenv (holding pyvenv.cfg after setup) the Python checks use, in order. */
export const VENV_FOLDERS = ['.venv', 'venv'] as const;

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

/** Checks implied by the repository's files, in a fixed order (JavaScript, Python, Go, Rust; make only alone). */
export function detectChecks(facts: RepositoryFacts): DetectedCheck[] {
  const checks = [nodeCheck(facts), pythonCheck(facts)].filter((c): c is DetectedCheck => c !== undefined);
  const has = (name: string) => facts.rootEntries.includes(name);
  if (has('go.mod')) checks.push({ command: 'go test ./...', reason: 'go.mod' });
  if (has('Cargo.toml')) checks.push({ command: 'cargo test', reason: 'Cargo.toml' });
  if (checks.length === 0 && facts.makefile && /^test\s*:(?!=)/m.test(facts.makefile))
    checks.push({ command: 'make test', reason: 'the Makefile has a test target' });
  return checks;
}

/** The package manager's test command, when package.json has a real test script. */
function nodeCheck(facts: RepositoryFacts): DetectedCheck | undefined {
  if (!facts.packageJson) return undefined;
  let pkg: { scripts?: Record<string, unknown>; packageManager?: unknown };
  try {
    pkg = JSON.parse(facts.packageJson) as typeof pkg;
  } catch {
    return undefined; // An unreadable package.json implies no check.
  }
  const test = pkg.scripts?.test;
  if (typeof test !== 'string' || /no test specified/.test(test)) return undefined;
  const has = (name: string) => facts.rootEntries.includes(name);
  const declared =
    typeof pkg.packageManager === 'string' ? /^(npm|pnpm|yarn)@/.exec(pkg.packageManager)?.[1] : undefined;
  const [manager, why] = declared
    ? [declared, `packageManager ${String(pkg.packageManager)}`]
    : has('pnpm-lock.yaml')
      ? ['pnpm', 'pnpm-lock.yaml']
      : has('yarn.lock')
        ? ['yarn', 'yarn.lock']
        : has('package-lock.json')
          ? ['npm', 'package-lock.json']
          : ['npm', 'no lockfile'];
  return { command: `${manager} test`, reason: `package.json has a test script; ${why}` };
}

/** pytest, with the virtualenv's python when setup left one. */
function pythonCheck(facts: RepositoryFacts): DetectedCheck | undefined {
  const reason = pytestReason(facts);
  if (!reason) return undefined;
  return facts.venv
    ? {
        command: `${facts.venv}/bin/python -m pytest -q`,
        reason: `${reason}; a virtualenv in ${facts.venv} after setup`,
      }
    : { command: 'python3 -m pytest -q', reason };
}

/** What says a repository's tests run under pytest, if anything does. */
function pytestReason(facts: RepositoryFacts): string | undefined {
  const has = (name: string) => facts.rootEntries.includes(name);
  if (facts.pyprojectToml && /^\[tool\.pytest\.ini_options\]/m.test(facts.pyprojectToml))
    return 'pyproject.toml has [tool.pytest.ini_options]';
  if (facts.pyprojectToml && /^\[tool\.tox\b/m.test(facts.pyprojectToml)) return 'pyproject.toml has tox config';
  if (has('pytest.ini')) return 'pytest.ini';
  if (has('tox.ini')) return 'tox.ini';
  if (facts.setupCfg && /^\[tool:pytest\]/m.test(facts.setupCfg)) return 'setup.cfg has [tool:pytest]';
  if (has('conftest.py')) return 'conftest.py';
  if (facts.hasPythonTests) return 'test_*.py files';
  if (['pyproject.toml', 'setup.cfg', 'setup.py'].some(has) && (has('tests') || has('test')))
    return 'a Python project with a tests folder';
  return undefined;
}
