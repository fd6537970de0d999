/**
 * How a goal presents itself outside the status query: the commands that
 * answer a wait, the Temporal UI's current details (markdown), the memo, the
 * static summary and details every start path sets, and one-line summaries of
 * tool calls. Plain functions of plain data: the workflow and the clients
 * (CLI, schedules, maintenance children) share them.
 */
import type { GoalInput, GoalStatusView, GoalWaiting } from './types';

/** A wait's kind in words. */
export const WAIT_LABELS: Record<GoalWaiting['kind'], string> = {
  plan_approval: 'plan approval',
  publish_approval: 'publish approval',
  budget: 'budget',
};

/** A goal id as one shell word (quoted when it has anything but plain characters). */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9._/:@+=,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The exact commands that answer a wait: approve or reject (with a comment to
 * send back) at a gate, or extend the budget that ran out or finish now.
 */
export function answersFor(kind: GoalWaiting['kind'], goalId: string, reason: string): string[] {
  const id = shellWord(goalId);
  if (kind === 'plan_approval')
    return [`drydock approve plan ${id}`, `drydock approve plan ${id} --reject --comment "<what to change>"`];
  if (kind === 'publish_approval')
    return [
      `drydock diff ${id}`,
      `drydock approve publish ${id}`,
      `drydock approve publish ${id} --reject --comment "<what to change>"`,
    ];
  const flag = /iterations/.test(reason)
    ? '--iterations <n>'
    : /deadline/.test(reason)
      ? '--seconds <n>'
      : /cost|\$/.test(reason)
        ? '--cost <usd>'
        : '--tokens <n>';
  return [`drydock extend ${id} ${flag}`, `drydock finish-now ${id}`];
}

/** Text safe in one markdown line: no control characters, no backticks, no line breaks; at most `max` characters. */
export function markdownSafe(text: string, max = 160): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029`]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The Temporal UI's current details of a goal: its status view as a few lines of markdown. */
export function detailsMarkdown(v: GoalStatusView): string {
  const cost = v.costUsd !== undefined ? ` · $${v.costUsd.toFixed(4)}` : '';
  const lines = [
    `**${v.phase.replace(/_/g, ' ')}** · turn ${v.iteration}/${v.maxIterations} · ${v.usage.totalTokens} tokens${cost}`,
  ];
  if (v.waiting) {
    const w = v.waiting;
    const until = w.until ? `, until ${new Date(w.until).toISOString()}` : '';
    lines.push(
      `**waiting for ${WAIT_LABELS[w.kind]}** since ${new Date(w.since).toISOString()}${until}: ${markdownSafe(w.reason)}`,
    );
    lines.push(`answer with ${w.answers.map((a) => `\`${a.replace(/`/g, '')}\``).join(' or ')}`);
  }
  if (v.currentCall)
    lines.push(
      `**running** ${markdownSafe(v.currentCall.summary)} (since ${new Date(v.currentCall.startedAt).toISOString()})`,
    );
  if (v.lastTool) lines.push(`**last tool** ${markdownSafe(`${v.lastTool.name}: ${v.lastTool.summary}`)}`);
  if (v.checks.state !== 'not_run') lines.push(`**checks** ${v.checks.state}`);
  if (v.result)
    lines.push(`**result** ${v.result.status}${v.result.reason ? `: ${markdownSafe(v.result.reason, 300)}` : ''}`);
  return lines.join('\n\n');
}

/** The memo of a goal (what `drydock list` shows): its text and repository. */
export function goalMemo(input: GoalInput, goal: string): { goal: string; repository: string } {
  const issue = input.issue ? `${input.issue.owner}/${input.issue.repo}#${input.issue.number}` : '';
  return { goal: (goal || issue).slice(0, 4000), repository: input.repository };
}

/** What every start path we own sets on a goal's execution: its text as the static summary; repository, branch, model and policy as the static details. */
export function goalStartMetadata(input: GoalInput): { staticSummary: string; staticDetails: string } {
  const source = input.issue
    ? `issue ${input.issue.owner}/${input.issue.repo}#${input.issue.number}`
    : input.pullRequest
      ? `review feedback on PR #${input.pullRequest.number}`
      : '';
  const text = input.goal?.trim() || source || '(no goal text)';
  const policy = Object.entries(input.policy ?? {}).filter(([, v]) => v !== undefined);
  const details = [
    `**repository** ${markdownSafe(input.repository, 300)}`,
    `**branch** ${input.baseBranch ? markdownSafe(input.baseBranch) : 'the default branch'}`,
    `**model** ${input.model ? markdownSafe(input.model.name) : "the worker's default"}`,
    `**policy** ${policy.length > 0 ? markdownSafe(policy.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', '), 600) : 'defaults'}`,
    ...(input.internet !== undefined ? [`**internet** ${internetLine(input.internet)}`] : []),
    ...(source ? [`**from** ${source}`] : []),
  ];
  return { staticSummary: markdownSafe(text.split('\n')[0] ?? '', 200), staticDetails: details.join('\n\n') };
}

/** The goal's own internet policy in one line (the repository's may narrow it further). */
function internetLine(internet: NonNullable<GoalInput['internet']>): string {
  if (internet === 'off' || internet.mode === 'off') return 'off';
  const entries = [...(internet.presets ?? []), ...(internet.domains ?? [])];
  const methods = internet.methods ? `; methods ${internet.methods.join(', ')}` : '';
  return markdownSafe(`allowlist ${entries.join(', ') || '(empty)'}${methods}`, 400);
}

/** One line for a tool call: `shell npm test`, `read_file src/math.js`; the raw preview when its arguments cannot be read. */
export function toolCallLine(name: string, argumentsPreview: string): string {
  let main: string | undefined;
  try {
    const args = JSON.parse(argumentsPreview) as Record<string, unknown>;
    const first = ['command', 'path', 'pattern', 'query', 'summary']
      .map((k) => args[k])
      .find((v) => typeof v === 'string');
    main = typeof first === 'string' ? first : undefined;
  } catch {
    main = /^\{"(?:command|path|pattern)":"((?:[^"\\]|\\.)*)/.exec(argumentsPreview)?.[1];
  }
  return markdownSafe(`${name} ${main ?? argumentsPreview}`, 120);
}
