/** `drydock start`: validates a goal at the edge and starts a codingAgent workflow. */
import { execFile } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { isGitUrl, validateGoalInput } from '../workflows/policy';
import { AGENT_QUEUE } from '../workflows/queues';

import type { GoalInput } from '../workflows/types';
import { policyFrom, type PolicyFlags } from './commands/policy-flags';
import type { ClientConfig } from './config';
import { connectClient } from './connect';
import { UsageError } from './errors';
import { goalWorkflowId } from './goal-id';
import { parseGitHubRef } from './github-ref';
import { printError, printJson, printText } from './output';
import { printResult } from './goals';
import { internetFrom, type InternetFlags } from './internet-flag';
import { readGoalResult } from './goal-result';
import { goalStartMetadata } from '../workflows/goal-view';

/** Options of `drydock start`, as parsed from the command line. */
export interface StartOptions {
  repo?: string;
  branch?: string;
  goal?: string;
  goalFile?: string;
  check?: string[];
  /** The policy flags (--model, --max-iterations, --max-tokens, …). */
  policy?: PolicyFlags;
  id?: string;
  wait?: boolean;
  json?: boolean;
  /** `owner/repo#123`: the issue's title and body are the goal (read by the agent worker). */
  issue?: string;
  /** The agent phase's internet (`--internet`, `--internet-read-only`); narrows the repository's. */
  internetFlags?: InternetFlags;
  /** `owner/repo#12` (drydock revise): the PR's unresolved review feedback is the goal. */
  pullRequest?: string;
}

/** Builds the GoalInput from the options, checks it, and checks that the repository and branch exist. */
export async function goalInputFrom(o: StartOptions, githubWebUrl = 'https://github.com'): Promise<GoalInput> {
  let goal = o.goal;
  if (o.goalFile) {
    if (goal) throw new UsageError('give --goal or --goal-file, not both');
    if (!existsSync(o.goalFile)) throw new UsageError(`--goal-file: no file ${o.goalFile}`);
    goal = readFileSync(o.goalFile, 'utf8');
  }
  // An issue or a PR names its repository; the text is read on the agent worker, which holds the GitHub credential.
  const issue = o.issue !== undefined ? parseGitHubRef(o.issue, '--issue') : undefined;
  const pr = o.pullRequest !== undefined ? parseGitHubRef(o.pullRequest, 'revise') : undefined;
  const named = issue ?? pr;
  const repo = o.repo ?? (named ? `${githubWebUrl}/${named.owner}/${named.repo}` : undefined);
  const repository = repo && !isGitUrl(repo) ? path.resolve(repo) : repo;
  const policy = policyFrom(o.policy ?? {});
  const model = o.policy?.model;
  const internet = internetFrom(o.internetFlags ?? {});
  const input: GoalInput = {
    repository: repository ?? '',
    goal: goal ?? '',
    ...(o.branch ? { baseBranch: o.branch } : {}),
    ...(o.check && o.check.length > 0 ? { checks: o.check } : {}),
    ...(model ? { model: { name: model } } : {}),
    ...(Object.keys(policy).length > 0 ? { policy } : {}),
    ...(issue ? { issue } : {}),
    ...(pr ? { pullRequest: { number: pr.number } } : {}),
    ...(internet !== undefined ? { internet } : {}),
  };
  const errors = validateGoalInput(input);
  if (errors.length > 0)
    throw new UsageError(errors.join('; ').replace(/^repository is required.*?(;|$)/, '--repo is required$1'));
  // A private GitHub repository is readable only with the workers' credential, so the client does not probe it.
  if (!named) await checkRepository(input.repository, input.baseBranch);
  return input;
}

/** Starts the goal; prints its id and UI link, or waits for and prints its result. */
export async function start(config: ClientConfig, o: StartOptions): Promise<number> {
  if (o.id !== undefined && o.id.trim() === '')
    throw new UsageError('--id is empty; give a workflow id, or leave --id out for the business key');
  const input = await goalInputFrom(o, config.githubWebUrl);
  const source = input.issue ? `issue ${o.issue}` : input.pullRequest ? `revise ${o.pullRequest}` : input.goal;
  const workflowId = o.id ?? goalWorkflowId(input.repository, source);
  const { client, close } = await connectClient(config);
  try {
    let handle;
    try {
      handle = await client.workflow.start('codingAgent', {
        taskQueue: AGENT_QUEUE,
        workflowId,
        args: [input],
        memo: { goal: (input.goal || source).slice(0, 4000), repository: input.repository },
        ...goalStartMetadata(input),
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw new UsageError(
          `a goal with id ${workflowId} is already running; follow it with \`drydock status ${workflowId}\` or start another with --id`,
        );
      }
      throw err;
    }
    const url = `${config.temporalUiUrl}/namespaces/${config.namespace}/workflows/${encodeURIComponent(workflowId)}`;
    if (!o.wait) {
      if (o.json) printJson({ workflowId, runId: handle.firstExecutionRunId, url });
      else printText(`started ${workflowId}\n${url}\n`);
      return 0;
    }
    if (!o.json) printText(`started ${workflowId}\n${url}\nwaiting for the result ...\n`);
    const result = await readGoalResult(handle);
    if (o.json) printJson({ workflowId, ...result });
    else printResult(workflowId, result);
    return result.status === 'succeeded' ? 0 : 1;
  } finally {
    await close();
  }
}

/** Fails with a clear message when the repository cannot be read or the branch does not exist. */
async function checkRepository(repository: string, branch: string | undefined): Promise<void> {
  if (!isGitUrl(repository) && !existsSync(repository)) throw new UsageError(`--repo: no such directory ${repository}`);
  const refs = await new Promise<string>((resolve, reject) => {
    execFile(
      'git',
      [
        '-c',
        'protocol.ext.allow=never',
        'ls-remote',
        '--symref',
        '--',
        repository,
        ...(branch ? [`refs/heads/${branch}`] : ['HEAD']),
      ],
      { timeout: 30_000, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } },
      (err, stdout, stderr) =>
        err
          ? reject(
              new UsageError(
                `--repo: ${repository} is not a readable git repository: ${(stderr || err.message).trim().split('\n').pop()}`,
              ),
            )
          : resolve(stdout),
    );
  });
  if (branch && refs.trim() === '') throw new UsageError(`--branch: ${repository} has no branch ${branch}`);
  if (!branch && refs.trim() === '') throw new UsageError(`--repo: ${repository} has no commits`);
  if (isGitUrl(repository)) return;
  // A local repository: the goal starts from a branch's last commit, so a detached HEAD needs --branch.
  if (!branch && !/^ref: refs\/heads\//m.test(refs)) {
    const at = refs.trim().split(/\s/)[0]?.slice(0, 12) ?? '?';
    throw new UsageError(
      `--repo: ${repository} has a detached HEAD (at ${at}); give --branch <name>: the goal starts from that branch's last commit`,
    );
  }
  const dirty = await uncommittedChanges(repository);
  if (dirty.length > 0)
    printError(
      `drydock: note: ${dirty.length} uncommitted change${dirty.length === 1 ? '' : 's'} in ${repository} ${dirty.length === 1 ? 'is' : 'are'} not included (the goal starts from the last commit of ${branch ?? 'the checked-out branch'}): ${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? ', …' : ''}\n`,
    );
}

/** The working tree's uncommitted changes (`M path`, `?? path`), read with hooks and fsmonitor off. */
async function uncommittedChanges(repository: string): Promise<string[]> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', '-C', repository, 'status', '--porcelain'],
      { timeout: 30_000, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' } },
      (err, stdout) =>
        resolve(
          err
            ? []
            : stdout
                .split('\n')
                .filter((l) => l.trim())
                .map((l) => l.trim().replace(/\s+/, ' ')),
        ),
    );
  });
}
