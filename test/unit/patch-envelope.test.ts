/**
 * The apply_patch envelope (`*** Begin Patch`): parsing into operations and
 * planning them over file contents, all or nothing, with messages the model can
 * act on. The same envelopes run against a real sandbox in
 * test/integration/apply-patch-envelope.test.ts.
 */
import { planEnvelope, seekLines, type EnvelopePlan, type WorkspaceFile } from '../../activities/tools/envelope-plan';
import { isEnvelope, parseEnvelope, type EnvelopeOperation } from '../../activities/tools/patch-envelope';
import { applyPatch } from '../../activities/tools';

/** An envelope around the given body lines. */
function envelope(...body: string[]): string {
  return ['*** Begin Patch', ...body, '*** End Patch', ''].join('\n');
}

/** The operations of an envelope that must parse. */
function operations(patch: string): EnvelopeOperation[] {
  const parsed = parseEnvelope(patch);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.operations;
}

/** The parse error of an envelope that must not parse. */
function parseError(patch: string): string {
  const parsed = parseEnvelope(patch);
  if (parsed.ok) throw new Error('parsed');
  return parsed.error;
}

/** Plans an envelope over files given as name → content (absent: no such file). */
function plan(patch: string, files: Record<string, string>): EnvelopePlan {
  const ops = operations(patch);
  const paths = ops.flatMap((op) => (op.type === 'update' && op.moveTo ? [op.path, op.moveTo] : [op.path]));
  const workspace = new Map<string, WorkspaceFile>(
    paths.map((path) => [path, { name: path.replace(/^\.\//, ''), content: files[path.replace(/^\.\//, '')] ?? null }]),
  );
  return planEnvelope(ops, workspace);
}

/** The files after a plan that must apply: name → content, null for deleted. */
function applied(patch: string, files: Record<string, string>): Record<string, string | null> {
  const result = plan(patch, files);
  if (!result.ok) throw new Error(result.error);
  return Object.fromEntries(result.changes.map((c) => [c.name, c.content]));
}

/** The error of a plan that must not apply. */
function planError(patch: string, files: Record<string, string>): string {
  const result = plan(patch, files);
  if (result.ok) throw new Error('applied');
  return result.error;
}

const MATH = [
  "'use strict';",
  '',
  'function add(a, b) {',
  '  return a - b;',
  '}',
  '',
  'function multiply(a, b) {',
  '  return a + b;',
  '}',
  '',
  'module.exports = { add, multiply };',
  '',
].join('\n');

describe('detecting the format', () => {
  test('the first non-blank line decides', () => {
    expect(isEnvelope('\n  *** Begin Patch\n*** End Patch\n')).toBe(true);
    expect(isEnvelope('--- a/x\n+++ b/x\n*** Begin Patch\n')).toBe(false);
    expect(isEnvelope('')).toBe(false);
  });

  test('the tool accepts either format and says so', () => {
    expect(applyPatch.parse({ patch: envelope('*** Delete File: a.txt') }).patch).toMatch(/\*\*\* End Patch\n$/);
    expect(() => applyPatch.parse({ patch: 'just some text' })).toThrow(/unified diff.*\*\*\* Begin Patch/);
    expect(applyPatch.description).toContain('unified diff');
    expect(applyPatch.description).toContain('*** Begin Patch');
    for (const marker of ['*** Update File:', '*** Add File:', '*** Delete File:', '*** Move to:', '*** End of File']) {
      expect(applyPatch.description).toContain(marker);
    }
    expect(applyPatch.isMutating).toBe(true);
  });
});

describe('parsing an envelope', () => {
  test('add, delete, update with a move, anchors and end of file', () => {
    const patch = envelope(
      '*** Add File: docs/new.md',
      '+# New',
      '+',
      '+text',
      '*** Delete File: old.txt',
      '*** Update File: src/a.js',
      '*** Move to: src/b.js',
      '@@ class A',
      '@@   method() {',
      '     return 1;',
      '-    x();',
      '+    y();',
      '@@',
      ' last',
      '+after',
      '*** End of File',
    );
    expect(operations(patch)).toEqual([
      { type: 'add', path: 'docs/new.md', content: '# New\n\ntext\n' },
      { type: 'delete', path: 'old.txt' },
      {
        type: 'update',
        path: 'src/a.js',
        moveTo: 'src/b.js',
        hunks: [
          {
            anchors: ['class A', 'method() {'],
            lines: [
              { kind: ' ', text: '    return 1;' },
              { kind: '-', text: '    x();' },
              { kind: '+', text: '    y();' },
            ],
            atEndOfFile: false,
            patchLine: 9,
          },
          {
            anchors: [],
            lines: [
              { kind: ' ', text: 'last' },
              { kind: '+', text: 'after' },
            ],
            atEndOfFile: true,
            patchLine: 14,
          },
        ],
      },
    ]);
  });

  test('a first hunk without @@, padded markers, CRLF and a unified-diff hunk header are accepted', () => {
    const patch = [
      '  *** Begin Patch  ',
      '*** Update File: a.txt ',
      ' one',
      '-two',
      '+2',
      '@@ -5,2 +5,2 @@ def f():',
      '-x',
      '+y',
      '*** End Patch  ',
    ].join('\r\n');
    const [update] = operations(patch);
    expect(update).toMatchObject({ type: 'update', path: 'a.txt' });
    expect(update?.type === 'update' && update.hunks.map((h) => h.anchors)).toEqual([[], ['def f():']]);
  });

  test('an envelope without *** End Patch is refused: it may have been cut off', () => {
    expect(parseError('*** Begin Patch\n*** Update File: a.txt\n@@\n-a\n+b\n')).toBe(
      'the patch ends without a "*** End Patch" line (was it cut off?); end it with "*** End Patch"',
    );
  });

  test('malformed envelopes say which line is wrong', () => {
    expect(parseError(envelope('*** Update File: a.txt', '@@', 'oops'))).toMatch(
      /^line 4: "oops" is not a hunk line of "\*\*\* Update File: a\.txt"; start it with " " \(context\)/,
    );
    expect(parseError(envelope('*** Add File: a.txt', 'no plus'))).toBe(
      'line 3: in "*** Add File: a.txt" every line starts with "+", got "no plus"',
    );
    expect(parseError(envelope('*** Update File: a.txt'))).toContain('has no hunks');
    expect(parseError(envelope('*** Update File: a.txt', '@@ f()', '*** End of File'))).toContain('must follow a hunk');
    expect(parseError(envelope('*** Rename File: a.txt'))).toMatch(/^line 2: expected "\*\*\* Add File: <path>"/);
    expect(parseError(envelope('*** Add File: '))).toBe('line 2: "*** Add File:" needs a path');
    expect(parseError(envelope())).toContain('no file operations');
    expect(parseError(`${envelope('*** Delete File: a')}more\n`)).toBe(
      'line 4: text after "*** End Patch" (line 3); send one envelope',
    );
  });
});

describe('applying an envelope in memory', () => {
  test('an update with several hunks and anchors changes only what they name', () => {
    const patch = envelope(
      '*** Update File: src/math.js',
      '@@ function add(a, b) {',
      '-  return a - b;',
      '+  return a + b;',
      '@@ function multiply(a, b) {',
      '-  return a + b;',
      '+  return a * b;',
      ' }',
    );
    // Without the anchors the second hunk's old line would match add's fixed line first.
    expect(applied(patch, { 'src/math.js': MATH })).toEqual({
      'src/math.js': MATH.replace('return a - b', 'return a + b').replace(
        /return a \+ b;\n}\n\nmodule/,
        'return a * b;\n}\n\nmodule',
      ),
    });
    expect(plan(patch, { 'src/math.js': MATH })).toMatchObject({ ok: true, applied: ['src/math.js (+2 -2)'] });
  });

  test('add, delete and move', () => {
    const patch = envelope(
      '*** Add File: docs/guide.md',
      '+# Guide',
      '+Hello.',
      '*** Delete File: old.txt',
      '*** Update File: src/a.js',
      '*** Move to: lib/a.js',
      '@@',
      '-const a = 1;',
      '+const a = 2;',
    );
    const result = plan(patch, { 'old.txt': 'x\ny\n', 'src/a.js': 'const a = 1;\n' });
    expect(result).toEqual({
      ok: true,
      changes: [
        { name: 'docs/guide.md', content: '# Guide\nHello.\n' },
        { name: 'old.txt', content: null },
        { name: 'src/a.js', content: null },
        { name: 'lib/a.js', content: 'const a = 2;\n', modeFrom: 'src/a.js' },
      ],
      applied: ['docs/guide.md (new file, +2)', 'old.txt (deleted, -2)', 'src/a.js → lib/a.js (+1 -1)'],
    });
  });

  test('*** End of File matches at the end only, and adds after the last line', () => {
    const file = 'x\nend\nmiddle\nend\n';
    const patch = envelope('*** Update File: f.txt', '@@', ' end', '+appended', '*** End of File');
    expect(applied(patch, { 'f.txt': file })).toEqual({ 'f.txt': 'x\nend\nmiddle\nend\nappended\n' });
    const onlyAdded = envelope('*** Update File: f.txt', '@@', '+tail', '*** End of File');
    expect(applied(onlyAdded, { 'f.txt': 'a\nb\n' })).toEqual({ 'f.txt': 'a\nb\ntail\n' });
    // A file without a last newline keeps lacking one.
    expect(applied(onlyAdded, { 'f.txt': 'a\nb' })).toEqual({ 'f.txt': 'a\nb\ntail' });
    const notAtEnd = envelope('*** Update File: f.txt', '@@', '-x', '+X', '*** End of File');
    expect(planError(notAtEnd, { 'f.txt': file })).toBe(
      'f.txt: the hunk (patch line 3): its context was not found at the end of the file; its first context line is "x"',
    );
  });

  test('context matches ignoring trailing, then surrounding whitespace, and keeps the file’s own context lines', () => {
    const file = 'def f():  \n\tif x:\n\t\treturn 1\n';
    const patch = envelope(
      '*** Update File: f.py',
      '@@',
      ' def f():',
      '     if x:',
      '-        return 1',
      '+\t\treturn 2',
    );
    expect(applied(patch, { 'f.py': file })).toEqual({ 'f.py': 'def f():  \n\tif x:\n\t\treturn 2\n' });
  });

  test('exact matches win over whitespace-tolerant ones', () => {
    expect(seekLines(['  a', 'a'], ['a'], 0, false)).toBe(1);
    expect(seekLines(['  a', 'b'], ['a'], 0, false)).toBe(0);
    expect(seekLines(['a', 'b'], ['c'], 0, false)).toBeUndefined();
  });

  test('an anchor with only added lines inserts right after it; CRLF files stay CRLF', () => {
    const patch = envelope('*** Update File: w.txt', '@@ [section]', '+key = 1');
    expect(applied(patch, { 'w.txt': 'top\r\n[section]\r\nother = 2\r\n' })).toEqual({
      'w.txt': 'top\r\n[section]\r\nkey = 1\r\nother = 2\r\n',
    });
  });

  test('a blank line before the next header is not required to match', () => {
    const patch = envelope('*** Update File: a.txt', '@@', '-last', '+LAST', '', '*** Delete File: b.txt');
    expect(applied(patch, { 'a.txt': 'first\nlast\n', 'b.txt': 'b\n' })).toEqual({
      'a.txt': 'first\nLAST\n',
      'b.txt': null,
    });
  });

  test('a Move without hunks renames the file and keeps its content byte for byte', () => {
    const patch = envelope('*** Update File: a.txt', '*** Move to: b.txt');
    expect(applied(patch, { 'a.txt': 'no newline at end' })).toEqual({ 'a.txt': null, 'b.txt': 'no newline at end' });
  });

  test('a later operation sees what an earlier one did', () => {
    const patch = envelope('*** Add File: n.txt', '+one', '*** Update File: n.txt', '@@', '-one', '+two');
    expect(applied(patch, {})).toEqual({ 'n.txt': 'two\n' });
  });
});

describe('envelopes that do not apply say why', () => {
  test('the hunk whose context was not found, quoting its first context line', () => {
    const patch = envelope(
      '*** Update File: src/math.js',
      '@@ function add(a, b) {',
      '-  return a - b;',
      '+  return a + b;',
      '@@',
      ' function divide(a, b) {',
      '-  return a * b;',
      '+  return a / b;',
    );
    expect(planError(patch, { 'src/math.js': MATH })).toBe(
      'src/math.js: hunk 2 of 2 (patch line 6): its context was not found after line 4; ' +
        'its first context line is "function divide(a, b) {"',
    );
  });

  test('an anchor that is not there', () => {
    const patch = envelope('*** Update File: src/math.js', '@@ function subtract(a, b) {', '-x', '+y');
    expect(planError(patch, { 'src/math.js': MATH })).toBe(
      'src/math.js: the hunk (patch line 3): the anchor "@@ function subtract(a, b) {" was not found',
    );
  });

  test('an Update or Delete of a missing file, an Add of an existing one, a Move onto an existing one', () => {
    expect(planError(envelope('*** Update File: nope.js', '@@', '-a', '+b'), {})).toBe(
      '*** Update File: nope.js: no such file; use *** Add File to create it',
    );
    expect(planError(envelope('*** Delete File: nope.js'), {})).toBe('*** Delete File: nope.js: no such file');
    expect(planError(envelope('*** Add File: a.js', '+x'), { 'a.js': 'y\n' })).toBe(
      '*** Add File: a.js: the file already exists; use *** Update File to change it',
    );
    expect(
      planError(envelope('*** Update File: a.js', '*** Move to: b.js', '@@', '-y', '+z'), {
        'a.js': 'y\n',
        'b.js': '',
      }),
    ).toBe('*** Move to: b.js: the file already exists');
  });

  test('one failing operation fails the whole envelope: no changes are planned', () => {
    const patch = envelope('*** Add File: fine.txt', '+ok', '*** Delete File: missing.txt');
    expect(plan(patch, {})).toEqual({ ok: false, error: '*** Delete File: missing.txt: no such file' });
  });
});
