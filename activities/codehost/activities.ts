/** publishChange: turns a verified change into a pull request on the code host. */
import { createHash } from 'crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { CheckResult, PullRequestRef, Usage } from '../../workflows/types';
import type { ArtifactStore } from '../store/artifact-store';
import { readMessage } from '../store/conversation';
import type { ChangedFile, CodeHost } from './code-host';
import { commitMessage, pullRequestBody, pullRequestTitle } from './pr-body';

/** What publishChange needs. */
export interface CodeHostActivityDeps {
  store: ArtifactStore;
  codeHost: CodeHost;
  /** Base URL of the Temporal UI, for the link in the PR body. */
  temporalUiUrl?: string;
  namespace: string;
  /** The model name goals use when they name none (shown in the PR). */
  defaultModel: string;
}

/** Input of publishChange. */
export interface PublishChangeInput {
  goalId: string;
  repository: string;
  goal: string;
  baseBranch: string;
  baseCommit: string;
  patchRef: string;
  files: ChangedFile[];
  /** Conversation index of the assistant message holding the `finish` call. */
  finishIndex: number;
  checks: CheckResult[];
  usage: Usage;
  model?: string;
  iterations: number;
}

/** The agent branch of a goal: `drydock/<8 hex of the workflow id>`, stable across re-runs. */
export function agentBranch(goalId: string): string {
  return `drydock/${createHash('sha256').update(goalId).digest('hex').slice(0, 8)}`;
}

/** Creates publishChange. */
export function createCodeHostActivities(deps: CodeHostActivityDeps) {
  return {
    /** Publishes the change: one branch and one PR per goal; a re-run updates them. */
    async publishChange(input: PublishChangeInput): Promise<PullRequestRef> {
      const finish = await finishArguments(deps.store, input.goalId, input.finishIndex);
      const text = {
        goalId: input.goalId,
        goal: input.goal,
        summary: finish.summary,
        rationale: finish.rationale,
        files: input.files,
        checks: input.checks,
        usage: input.usage,
        model: input.model ?? deps.defaultModel,
        iterations: input.iterations,
        workflowUrl: deps.temporalUiUrl
          ? `${deps.temporalUiUrl}/namespaces/${encodeURIComponent(deps.namespace)}/workflows/${encodeURIComponent(input.goalId)}`
          : undefined,
      };
      try {
        return await deps.codeHost.publish({
          goalId: input.goalId,
          repository: input.repository,
          baseBranch: input.baseBranch,
          baseCommit: input.baseCommit,
          branch: agentBranch(input.goalId),
          title: pullRequestTitle(input.goal),
          body: pullRequestBody(text),
          commitMessage: commitMessage(text),
          patch: await deps.store.get(input.patchRef),
          files: input.files,
          checks: input.checks,
          usage: input.usage,
          model: input.model ?? deps.defaultModel,
        });
      } catch (err) {
        if (err instanceof Error && /does not apply|patch failed|corrupt patch/.test(err.message)) {
          throw ApplicationFailure.nonRetryable(`the change no longer applies to ${input.baseBranch}: ${err.message}`, 'PatchDoesNotApply');
        }
        throw err;
      }
    },
  };
}

async function finishArguments(store: ArtifactStore, goalId: string, index: number): Promise<{ summary: string; rationale: string }> {
  const message = await readMessage(store, goalId, index);
  const call = message.role === 'assistant' ? message.tool_calls?.find((c) => c.function.name === 'finish') : undefined;
  try {
    const args = JSON.parse(call?.function.arguments ?? '{}') as { summary?: unknown; rationale?: unknown };
    return {
      summary: typeof args.summary === 'string' ? args.summary : '',
      rationale: typeof args.rationale === 'string' ? args.rationale : '',
    };
  } catch {
    return { summary: '', rationale: '' };
  }
}
