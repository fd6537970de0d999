/** The PR body names the base-commit files the setup phase changed and the change leaves out. */
import { pullRequestBody, type PullRequestTextOptions } from '../../activities/codehost/pr-body';

const TEXT: PullRequestTextOptions = {
  goalId: 'g',
  goal: 'Fix add()',
  summary: 'Fixed add()',
  rationale: 'a + b',
  files: [{ path: 'src/math.js', status: 'M', additions: 1, deletions: 1, mode: '100644', binary: false }],
  checks: [],
  usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
  iterations: 1,
};

test('files setup changed are listed under their own heading, after the files changed', () => {
  const body = pullRequestBody({ ...TEXT, setupChanged: ['package-lock.json', 'yarn.lock'] });
  const files = body.indexOf('## Files changed (1 file');
  const setup = body.indexOf('## Changed by setup, not published (2 files)');
  expect(files).toBeGreaterThanOrEqual(0);
  expect(setup).toBeGreaterThan(files);
  expect(body.slice(setup)).toMatch(/^- `package-lock\.json`\n- `yarn\.lock`\n/m);
});

test('a long list says how many more there are; none at all leaves the heading out', () => {
  const body = pullRequestBody({ ...TEXT, setupChanged: ['a.lock'], setupChangedCount: 201 });
  expect(body).toContain('## Changed by setup, not published (201 files)');
  expect(body).toContain('- … and 200 more');
  expect(pullRequestBody(TEXT)).not.toContain('Changed by setup');
  expect(pullRequestBody({ ...TEXT, setupChanged: [] })).not.toContain('Changed by setup');
});
