/** Running the model's tool calls in a sandbox, with a checkpoint of the workspace after each mutating one, and restoring a checkpoint. */
import { recordHistogram } from '../shared/activity-metrics';
import { TOOL_LATENCY } from '../../workflows/metric-names';
import { failure } from '../../workflows/failures';
import type { SandboxRef } from '../../workflows/types';
import { readMessage, writeMessage } from '../store/conversation';
import { findTool, runToolCall } from '../tools/registry';
import {
  CheckpointingSandbox,
  CheckpointTooLargeError,
  checkpointKey,
  checkpointWorkspace,
  isBaselineCheckpoint,
  restoreWorkspace,
} from '../sandbox/checkpoint';
import type { HostContext } from './host-context';
import { readGoalEnvironment } from './goal-environment';

/** Input of runTool: where the call is in the conversation and where its result goes. */
export interface RunToolInput {
  sandbox: SandboxRef;
  goalId: string;
  assistantIndex: number;
  callId: string;
  resultIndex: number;
  commandTimeoutSeconds: number;
  maxOutputBytes: number;
  /** When set, a mutating call is followed by a checkpoint of the workspace against this commit (or, `baseline`, against the workspace as setup left it). */
  checkpoint?: { baseCommit: string; baseline?: boolean };
}

/** What runTool returns to the workflow: no output, only a summary. */
export interface ToolRunSummary {
  ok: boolean;
  /** The call itself was wrong (unknown tool, bad arguments). */
  invalid?: boolean;
  summary: string;
  exitCode?: number;
  /** The tool can change the workspace. */
  isMutating?: boolean;
  /** Artifact key of the checkpoint taken after the call, when one was. */
  checkpointRef?: string;
}

/** Input of restoreWorkspace. */
export interface RestoreWorkspaceInput {
  sandbox: SandboxRef;
  baseCommit: string;
  /** The checkpoint to apply; absent: the base commit as it is. */
  checkpointRef?: string;
}

/** Creates runTool, restoreWorkspace. */
export function createRunToolActivities(ctx: HostContext) {
  const { deps } = ctx;
  return {
    /** Runs one tool call of the model in the sandbox and writes its result to the conversation. */
    async runTool(input: RunToolInput): Promise<ToolRunSummary> {
      const message = await readMessage(deps.store, input.goalId, input.assistantIndex);
      const call = message.role === 'assistant' ? message.tool_calls?.find((c) => c.id === input.callId) : undefined;
      if (!call)
        throw failure('ToolCallNotFound', `tool call ${input.callId} not found at message ${input.assistantIndex}`);
      // A mutating tool checkpoints in the same exec as its command (one engine round trip, not two).
      const key = checkpointKey(input.goalId, input.resultIndex, input.checkpoint?.baseline ? 'tar' : 'patch');
      const checkpointing =
        input.checkpoint && findTool(call.function.name)?.isMutating
          ? new CheckpointingSandbox(deps.sandbox, input.checkpoint.baseCommit, key)
          : undefined;
      const started = Date.now();
      const outcome = await runToolCall(
        {
          sandbox: checkpointing ?? deps.sandbox,
          containerId: input.sandbox.containerId,
          commandTimeoutMs: input.commandTimeoutSeconds * 1000,
          maxOutputBytes: input.maxOutputBytes,
          // The proxy's variables last: the environment file cannot point the tools elsewhere (nothing else routes out anyway).
          env: {
            ...(await readGoalEnvironment(deps.store, input.goalId)).env,
            ...(await deps.egress?.proxyEnv(input.sandbox.containerName)),
          },
        },
        call.function.name,
        call.function.arguments,
      );
      recordHistogram(TOOL_LATENCY, Date.now() - started, {
        tool: findTool(call.function.name) ? call.function.name : 'unknown',
      });
      const isMutating = !outcome.invalid && (findTool(call.function.name)?.isMutating ?? false);
      // Checkpoint before the result is written: a sandbox lost in between runs the call again from the previous checkpoint.
      let checkpointRef: string | undefined;
      if (isMutating && input.checkpoint) {
        checkpointRef = key;
        const unchanged = checkpointing?.unchangedSince;
        // The stamp lives in the sandbox, where the model could write it: only this goal's own checkpoints count.
        const ownPrefix = checkpointKey(input.goalId, 0).replace(/\d+\.patch$/, '');
        const ownFormat = isBaselineCheckpoint(key) ? /^\d+\.tar$/ : /^\d+\.patch$/;
        const stillHolds =
          unchanged !== undefined &&
          unchanged !== key &&
          unchanged.startsWith(ownPrefix) &&
          ownFormat.test(unchanged.slice(ownPrefix.length)) &&
          (await deps.store.has(unchanged));
        if (stillHolds) checkpointRef = unchanged;
        else if (checkpointing?.patch) await deps.store.put(key, checkpointing.patch);
        else if (checkpointing?.tooLarge) checkpointRef = undefined;
        else {
          checkpointRef = await checkpointWorkspace(
            deps.sandbox,
            input.sandbox.containerId,
            deps.store,
            input.checkpoint.baseCommit,
            key,
          ).then(
            () => key,
            (err: unknown) => {
              if (err instanceof CheckpointTooLargeError) return undefined;
              throw err;
            },
          );
        }
      }
      // The workspace outgrew what a checkpoint (and a change) may hold: say so, keep the last checkpoint.
      const note =
        isMutating && input.checkpoint && checkpointRef === undefined
          ? `\n[drydock: ${new CheckpointTooLargeError().message}; a change this large cannot be published]`
          : '';
      await writeMessage(deps.store, input.goalId, input.resultIndex, {
        role: 'tool',
        tool_call_id: call.id,
        content: outcome.output + note,
      });
      return {
        ok: outcome.ok,
        invalid: outcome.invalid,
        summary: outcome.summary.slice(0, 200),
        exitCode: outcome.exitCode,
        isMutating,
        checkpointRef,
      };
    },
    /** Resets the workspace of a fresh sandbox to the base commit and applies the last checkpoint. */
    async restoreWorkspace(input: RestoreWorkspaceInput): Promise<{ bytes: number }> {
      return restoreWorkspace(
        deps.sandbox,
        input.sandbox.containerId,
        deps.store,
        input.baseCommit,
        input.checkpointRef,
      );
    },
  };
}
