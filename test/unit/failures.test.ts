/** The failure catalogue: one type string per failure, its retryability, the one constructor, and the README table made from it. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { FAILURES, SANDBOX_LOST, failure, type FailureType } from '../../workflows/failures';
import { failureTable, tableInReadme, withTable } from '../../scripts/failure-table';

const ROOT = path.resolve(__dirname, '../..');
const PRODUCT_DIRS = ['activities', 'workers', 'workflows', 'cli'];

/** Every .ts file of the product (not tests), with its text. */
function productSources(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
        out.push({ file: rel, text: fs.readFileSync(path.join(ROOT, rel), 'utf8') });
    }
  };
  for (const dir of PRODUCT_DIRS) walk(dir);
  return out;
}

describe('failure()', () => {
  test('makes the ApplicationFailure of a type with the retryability the catalogue gives it', () => {
    const hopeless = failure('ModelUnauthorized', 'the key was refused');
    expect(hopeless).toBeInstanceOf(ApplicationFailure);
    expect(hopeless).toMatchObject({ type: 'ModelUnauthorized', message: 'the key was refused', nonRetryable: true });
    expect(failure('SetupProcessesLeft', 'x').nonRetryable).toBe(false);
    expect(failure('GitHubRateLimited', 'x', { nextRetryDelay: 5000 }).nextRetryDelay).toBe(5000);
  });

  test('carries the cause, and the override for the case the catalogue names', () => {
    const cause = new Error('container gone');
    expect(failure(SANDBOX_LOST, 'sandbox not found: c1', { cause })).toMatchObject({
      type: 'SandboxLost',
      nonRetryable: true,
      cause,
    });
    expect(FAILURES.ModelRateLimited.except).toMatch(/quota/);
    expect(failure('ModelRateLimited', 'quota spent', { nonRetryable: true }).nonRetryable).toBe(true);
  });
});

describe('the catalogue', () => {
  const sources = productSources();

  test('every failure type the product raises with a literal type is catalogued', () => {
    const raised = new Map<string, string>();
    const patterns = [
      /ApplicationFailure\.(?:nonRetryable|retryable)\([\s\S]*?,\s*'([A-Za-z]+)',?\s*\)/g,
      /ApplicationFailure\.create\(\{[^}]*type:\s*'([A-Za-z]+)'/g,
      /\bfailure\(\s*'([A-Za-z]+)'/g,
      /new GitHubApiError\([\s\S]*?,\s*'([A-Za-z]+)'/g,
    ];
    for (const { file, text } of sources) {
      for (const pattern of patterns) for (const m of text.matchAll(pattern)) raised.set(m[1] as string, file);
    }
    expect(raised.size).toBeGreaterThan(20);
    const unknown = [...raised].filter(([type]) => !(type in FAILURES)).map(([type, file]) => `${type} (${file})`);
    expect(unknown).toEqual([]);
  });

  test('every catalogued type is raised somewhere in the product (no stale rows)', () => {
    const catalogue = path.join('workflows', 'failures.ts');
    const elsewhere = sources
      .filter((s) => s.file !== catalogue)
      .map((s) => s.text)
      .join('\n');
    // A type may be raised through its named constant (SANDBOX_LOST).
    const constants = new Map<string, string>();
    for (const m of (sources.find((s) => s.file === catalogue)?.text ?? '').matchAll(
      /export const (\w+) = '(\w+)' satisfies FailureType/g,
    ))
      constants.set(m[2] as string, m[1] as string);
    const raised = (type: string) =>
      elsewhere.includes(`'${type}'`) || new RegExp(`\\b${constants.get(type) ?? '$^'}\\b`).test(elsewhere);
    const stale = (Object.keys(FAILURES) as FailureType[]).filter((type) => !raised(type));
    expect(stale).toEqual([]);
  });

  test('every entry says what it means and who raises it, in one line', () => {
    for (const [type, info] of Object.entries(FAILURES)) {
      expect([type, info.meaning.length > 10, info.raisedBy.length > 3, /\n/.test(info.meaning)]).toEqual([
        type,
        true,
        true,
        false,
      ]);
    }
  });
});

describe("the README's failure table", () => {
  test('is exactly the catalogue, row for row (regenerate: node dist/scripts/failure-table.js --write README.md)', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(tableInReadme(readme)).toBe(failureTable());
    const rows = failureTable().split('\n').slice(2);
    expect(rows).toHaveLength(Object.keys(FAILURES).length);
  });

  test('a drifted table is noticed and rewritten from the catalogue', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const drifted = readme.replace('| `SandboxLost` | no |', '| `SandboxLost` | yes |');
    expect(tableInReadme(drifted)).not.toBe(failureTable());
    expect(withTable(drifted)).toBe(readme);
  });
});
