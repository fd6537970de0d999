/**
 * The text of a pull request: title, Markdown body and commit message, made
 * the same way for every code host.
 */
import type { CheckResult, SandboxPolicyView, Usage } from '../../workflows/types';
import { describeSandboxPolicy } from '../shared/sandbox-policy-text';
import { exactUsd, formatUsd, usageBreakdown } from '../shared/usage-text';
import type { ChangedFile } from './code-host';
import { egressSection, type EgressSummary } from '../shared/egress-summary';

/** What a PR text is made from. */
export interface PullRequestTextOptions {
  goalId: string;
  goal: string;
  summary: string;
  rationale: string;
  files: ChangedFile[];
  /** Base-commit files the setup phase changed, left out of the change. */
  setupChanged?: string[];
  setupChangedCount?: number;
  checks: CheckResult[];
  usage: Usage;
  costUsd?: number;
  /** Set when a budget ran out before the goal was met. */
  exhaustedReason?: string;
  model?: string;
  iterations: number;
  /** Link to the workflow in the Temporal UI. */
  workflowUrl?: string;
  /** An issue the PR closes: `#123` or `owner/repo#123`. */
  closes?: string;
  /** The sandbox policy the goal ran under; the body names it in one line. */
  sandboxPolicy?: SandboxPolicyView;
  /** The agent phase's requests through its egress proxy, when its internet was an allowlist. */
  internet?: EgressSummary;
}

/** The PR title: `drydock: <first line of the goal>`. */
export function pullRequestTitle(goal: string): string {
  const first = goal.trim().split('\n')[0] ?? '';
  return `drydock: ${first.length > 72 ? `${first.slice(0, 71)}…` : first}`;
}

/** The PR body: summary, rationale, files changed, the agent phase's internet, verification, model and tokens, and the sandbox policy. */
export function pullRequestBody(o: PullRequestTextOptions): string {
  const added = o.files.reduce((n, f) => n + (f.additions ?? 0), 0);
  const deleted = o.files.reduce((n, f) => n + (f.deletions ?? 0), 0);
  const lines = [
    ...(o.exhaustedReason
      ? [
          '> [!WARNING]',
          `> **Budget exhausted** — ${o.exhaustedReason}. This draft holds the work so far; the checks below show where it stands.`,
          '',
        ]
      : []),
    '## Summary',
    '',
    o.summary.trim() || '(the model gave no summary)',
    '',
    ...(o.closes ? [`Closes ${o.closes}`, ''] : []),
    '## Goal',
    '',
    quote(o.goal),
    '',
    '## Rationale',
    '',
    o.rationale.trim() || '(the model gave no rationale)',
    '',
    `## Files changed (${o.files.length} file${o.files.length === 1 ? '' : 's'}, +${added} −${deleted})`,
    '',
    ...o.files.map(
      (f) =>
        `- \`${f.path}\` ${f.status} ${f.mode === '120000' ? `(symlink → \`${f.symlinkTarget ?? ''}\`)` : f.additions === null ? '(binary)' : `+${f.additions} −${f.deletions ?? 0}`}`,
    ),
    '',
    ...setupChangedSection(o.setupChanged ?? [], o.setupChangedCount),
    ...(o.internet ? egressSection(o.internet) : []),
    '## Verification',
    '',
    o.checks.length > 0 && o.checks.every((c) => c.cleanRoom)
      ? "Run by drydock in a clean sandbox: the base commit, the setup, and exactly this change (nothing from the agent's sandbox)."
      : "Run in the agent's sandbox (not a clean sandbox).",
    '',
    ...o.checks.flatMap((c) => [
      `- \`${c.command}\` → exit ${c.exitCode} ${c.passed ? '✅ passed' : '❌ failed'} (${(c.durationMs / 1000).toFixed(1)} s)`,
      '',
      '```',
      c.logTail.trimEnd().replace(/```/g, "'''"),
      '```',
      '',
    ]),
    '## Model and cost',
    '',
    `- model: ${o.model ?? 'default'}`,
    `- model turns: ${o.iterations}`,
    `- tokens: ${usageBreakdown(o.usage)}`,
    `- cost: ${formatUsd(o.costUsd)}${o.costUsd !== undefined ? ' (cached prompt tokens at the cached-input price)' : ''}`,
    `- workflow: ${o.workflowUrl ?? o.goalId}`,
    ...(o.sandboxPolicy ? [`- sandbox: ${describeSandboxPolicy(o.sandboxPolicy)}`] : []),
    '',
  ];
  return lines.join('\n');
}

/** The commit message: title, summary and the Drydock trailers. */
export function commitMessage(o: PullRequestTextOptions): string {
  return [
    pullRequestTitle(o.goal),
    '',
    o.summary.trim() || 'Change made by drydock.',
    '',
    `Drydock-Workflow: ${o.goalId}`,
    `Drydock-Tokens: ${o.usage.totalTokens}`,
    // The exact dollars accounted (0 when the model has no price).
    `Drydock-Cost-USD: ${exactUsd(o.costUsd ?? 0)}`,
    '',
  ].join('\n');
}

/** The files setup changed that are not published, or nothing. */
function setupChangedSection(paths: string[], count = paths.length): string[] {
  if (paths.length === 0) return [];
  const more = count - paths.length;
  return [
    `## Changed by setup, not published (${count} file${count === 1 ? '' : 's'})`,
    '',
    'The setup phase changed these files of the base commit; the agent did not, so this PR leaves them as they were:',
    '',
    ...paths.map((p) => `- \`${p}\``),
    ...(more > 0 ? [`- … and ${more} more`] : []),
    '',
  ];
}

function quote(text: string): string {
  const t = text.trim();
  const clipped = t.length > 2000 ? `${t.slice(0, 2000)}…` : t;
  return clipped
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
}
