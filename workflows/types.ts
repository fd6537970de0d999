/**
 * Plain data shared by workflows, activities, workers and the CLI. No imports
 * with side effects: this file is bundled into Temporal's workflow sandbox.
 */

import type { InternetPolicy } from './internet-policy';

/** How a goal ended. */
export type GoalStatus = 'succeeded' | 'failed' | 'budget_exhausted' | 'cancelled';

/** The phase a goal is in, as the `status` query reports it. */
export type GoalPhase =
  | 'validating'
  | 'provisioning'
  | 'inspecting'
  | 'planning'
  | 'working'
  | 'verifying'
  | 'publishing'
  | 'tearing_down'
  | 'done'
  /** Waits for a person to approve (or send back) the model's plan. */
  | 'awaiting_plan_approval'
  /** Waits for a person to approve (or send back) the verified change before it is published. */
  | 'awaiting_publish_approval'
  /** A budget ran out (onExhausted "ask"): waits for a person to extend it or to finish now. */
  | 'awaiting_budget';

/** What a goal waits for a person to decide, while it waits (GoalStatusView.waiting). */
export interface GoalWaiting {
  kind: 'plan_approval' | 'publish_approval' | 'budget';
  /** When the wait began, epoch milliseconds. */
  since: number;
  /** When the wait ends on its own (an approval's timeout), epoch milliseconds; 0: it waits until answered (a budget wait). */
  until: number;
  /** Why it waits, in one line: the plan's first line, the budget that ran out; at the publish gate empty (diffStat says it), or why the change is a draft. */
  reason: string;
  /** The exact commands that answer, e.g. `drydock approve publish <id>`. */
  answers: string[];
  /** The change waiting for publish approval: files, added and deleted lines. */
  diffStat?: { files: number; insertions: number; deletions: number };
}

/** The activity a goal runs now (GoalStatusView.currentCall). */
export interface CurrentCall {
  kind: 'model' | 'tool' | 'checks' | 'setup' | 'publish';
  /** One line, e.g. `shell: npm test`, `model turn 3`. */
  summary: string;
  /** When the call was scheduled, epoch milliseconds. */
  startedAt: number;
}

/** Which model to call; the API key is never here, only resolved by the worker. */
export interface ModelSpec {
  /** Model name sent to the endpoint, e.g. `gpt-4.1` or `scripted`. */
  name: string;
  /**
   * Endpoints are the operator's: the worker's OPENAI_BASE_URL is used; a goal's
   * own base URL is refused (ModelEndpointNotAllowed) unless the agent worker's
   * DRYDOCK_MODEL_BASE_URLS lists it.
   */
  baseUrl?: string;
}

/** What one million tokens of a model cost, and how many tokens its context holds. */
export interface ModelPrice {
  inputPerMillionUsd: number;
  /** Prompt tokens the endpoint served from its cache (Usage.cachedPromptTokens); absent: priced as input. */
  cachedInputPerMillionUsd?: number;
  /** Completion tokens, reasoning tokens included (they are part of the completion count). */
  outputPerMillionUsd: number;
  /** The model's context window in tokens; the prompt is kept below it. */
  contextTokens?: number;
}

/** What happens when a budget runs out: publish a draft PR, wait for a person, or just stop. */
export type ExhaustionAction = 'publish' | 'ask' | 'stop';

/** Limits a goal runs under; every field is optional in the input, defaults live in policy.ts. */
export interface PolicyOptions {
  /** Model turns at most (each turn is one callModel). */
  maxIterations?: number;
  /** Tokens (prompt + completion) the whole goal may use. */
  maxTotalTokens?: number;
  /** Prompt tokens one model call may send (older tool output is masked to stay below). */
  maxPromptTokensPerCall?: number;
  /** Dollars the whole goal may spend; needs a price for the model. */
  maxCostUsd?: number;
  /** Wall-clock seconds from the goal's start until it stops working. */
  deadlineSeconds?: number;
  /** Timeout of one tool command in seconds. */
  commandTimeoutSeconds?: number;
  /** Timeout of one check command (tests, build) in seconds. */
  checkTimeoutSeconds?: number;
  /** Timeout of one model call (the HTTP request) in seconds. */
  modelCallTimeoutSeconds?: number;
  /** A model call that sends no heartbeat for this long is treated as lost (its worker died). */
  modelHeartbeatTimeoutSeconds?: number;
  /** A streaming model call that receives nothing for this long is cut as a dead connection (ModelIdle, retried). */
  modelIdleTimeoutSeconds?: number;
  /** Seconds a goal's sandbox may live at most. */
  sandboxMaxLifetimeSeconds?: number;
  /** A sandbox worker silent this long (no heartbeat, or its queue not served) counts as gone: the goal re-provisions elsewhere. */
  sandboxLossTimeoutSeconds?: number;
  /** Model turns one workflow run holds before it continues as new (history stays small). */
  turnsPerRun?: number;
  /** Bytes of one tool output kept in the conversation (head + tail). */
  maxToolOutputBytes?: number;
  /** Invalid model turns in a row (no tool call, unknown tools, bad arguments) before the goal stops. */
  maxInvalidTurns?: number;
  /** The same failing tool call this many times in a row is a loop, and the goal stops. */
  maxRepeatedFailures?: number;
  /** Tool results kept whole in the prompt; older ones are masked to a one-line note (0: never mask). */
  observationWindow?: number;
  /** What to do when a budget runs out. */
  onExhausted?: ExhaustionAction;
  /** Prices per model name, over the built-in table. */
  prices?: Record<string, ModelPrice>;
  /** Protected paths (globs such as `.github/workflows/**`) this goal may change; the publish gate refuses the rest. */
  allowProtectedPaths?: string[];
  /** The model's plan must be approved (approvePlan update) before it changes anything. */
  requirePlanApproval?: boolean;
  /** The final change must be approved (approvePublish update) before it is published. */
  requirePublishApproval?: boolean;
  /** How long an approval gate waits before the goal ends, in seconds. */
  approvalTimeoutSeconds?: number;
}

/** A person's answer at an approval gate (approvePlan, approvePublish). */
export interface ApprovalDecision {
  approved: boolean;
  /** Why not, or what to change: goes to the model when the change is sent back. */
  comment?: string;
  /** Who decided, for the record. */
  by?: string;
}

/** The compiled policy: every limit set (the cost limit only when asked for). */
export type Policy = Required<Omit<PolicyOptions, 'maxCostUsd' | 'prices'>> & {
  maxCostUsd?: number;
  prices: Record<string, ModelPrice>;
};

/** More budget for a goal that waits after exhausting its own (the extendBudget update). */
export interface BudgetExtension {
  tokens?: number;
  costUsd?: number;
  iterations?: number;
  seconds?: number;
}

/** One check the verify gate runs: a shell command in the workspace. */
export interface CheckSpec {
  /** The command line, run with `bash -lc` in the repository root. */
  command: string;
}

/** A goal: what a user (CLI, Temporal CLI, SDK, schedule) starts a codingAgent with. */
export interface GoalInput {
  /** Path of a local git repository or a git URL. */
  repository: string;
  /** The branch the change starts from and the PR targets; the remote's default when absent. */
  baseBranch?: string;
  /** What to do, in plain words. */
  goal: string;
  /** Checks the verify gate runs; else AGENTS.md's, else detected ones. */
  checks?: string[];
  /** The model; the worker's default when absent. */
  model?: ModelSpec;
  /** Limits; defaults from policy.ts. */
  policy?: PolicyOptions;
  /** The GitHub issue the goal came from: its title and body are the goal when `goal` is empty; the PR closes it. */
  issue?: IssueRef;
  /** A pull request to revise: its unresolved review feedback is the goal; the change goes to its head branch. */
  pullRequest?: PullRequestTarget;
  /** A setup script run with network before the agent phase (and the repository's .drydock/environment.json setup). */
  setup?: GoalSetup;
  /** The agent phase's internet: sets it, or narrows the repository's `internet` (the safer of the two wins; docs/environment.md). */
  internet?: InternetPolicy | 'off';
}

/** A setup phase: runs before the agent, with network and the named secrets; then the network is cut. */
export interface GoalSetup {
  /** Shell script, run with `bash -lc` in the workspace. */
  script: string;
  /** NAMES of secrets the sandbox worker resolves (DRYDOCK_SETUP_SECRET_<NAME>); never values. */
  secrets?: string[];
}

/** A GitHub issue: `owner/repo#number`. */
export interface IssueRef {
  owner: string;
  repo: string;
  number: number;
}

/** The pull request a revision goal pushes to. */
export interface PullRequestTarget {
  number: number;
  /** Its head branch; read from GitHub when absent. */
  headBranch?: string;
}

/** Token usage as the model endpoint reports it. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Of the prompt tokens, those the endpoint served from its prompt cache (priced lower). */
  cachedPromptTokens?: number;
  /** Of the completion tokens, those spent reasoning (priced as output). */
  reasoningTokens?: number;
}

/** The result of one check command. */
export interface CheckResult {
  command: string;
  exitCode: number;
  passed: boolean;
  durationMs: number;
  /** Trimmed log (head + tail), small enough for history and a PR body. */
  logTail: string;
  /** Artifact key of the full log. */
  logRef: string;
  /** Ran in a clean sandbox: the base commit, the setup, and exactly the published patch (the checks that decide). */
  cleanRoom?: boolean;
}

/** A reference to a published change. */
export interface PullRequestRef {
  /** Code-host id: the PR record id (local) or the PR number (GitHub). */
  id: string;
  /** The head branch, `drydock/<short-id>`. */
  branch: string;
  base: string;
  /** Where a person reads it: a file path for local records, a URL on GitHub. */
  location: string;
  /** The head commit. */
  commit: string;
}

/** What a codingAgent returns. */
export interface GoalResult {
  status: GoalStatus;
  /** One paragraph: what happened. */
  summary: string;
  /** Why it ended this way when it did not succeed. */
  reason?: string;
  pr?: PullRequestRef;
  usage: Usage;
  /** Dollars spent, when the model has a price. */
  costUsd?: number;
  /** The model (profile) the goal's calls went to, as the agent worker resolved it (absent in older results). */
  model?: string;
  iterations: number;
  checks: CheckResult[];
}

/** Where a goal's container lives: its id and the task queue of the worker that holds it. */
export interface SandboxRef {
  containerId: string;
  containerName: string;
  /** Task queue of the sandbox worker that owns the container (`drydock-sandbox-<host>`). */
  taskQueue: string;
  host: string;
  /** The limits the container runs under, as its sandbox worker applied them (absent in older histories). */
  limits?: SandboxLimitsView;
  /** The sandbox policy the container was created under (absent in older histories and for containers made before policies). */
  policy?: SandboxPolicyView;
}

/**
 * The sandbox policy a goal's container runs under, as plain data: network per phase, limits,
 * runtime, writable paths, the seccomp profile's id, the images services may run, and whether
 * commands go through the command runner. The sandbox worker resolves it once from its
 * operator's configuration (activities/sandbox/sandbox-policy.ts).
 */
export interface SandboxPolicyView {
  /** agent: no network but loopback (and its services' internal network); setup: a bridge with a route out from which the host is refused; services: an internal network with no route out. */
  network: { agent: 'none'; setup: 'bridge-without-host'; services: 'internal' };
  memoryBytes: number;
  /** Swap beyond memory (0: none). */
  swapBytes: number;
  cpus: number;
  pidsLimit: number;
  /** The fixed-size disk holding /workspace and $HOME; null: not size-limited. */
  diskBytes: number | null;
  /** The OCI runtime; null: the engine's default. */
  runtime: string | null;
  /** Where a sandbox may write (everything else is read-only). */
  writable: WritablePathView[];
  /** The seccomp profile's id: its file name and the start of its sha256. */
  seccompProfile: string;
  /** Images service sidecars may run besides the sandbox image. */
  services: { images: string[] };
  /** Commands go through the runner kept alive in the container (else one engine exec each). */
  commandRunner: boolean;
}

/** A writable path of a sandbox: on its disk, an anonymous volume, or a tmpfs (memory); sizeBytes null: no fixed size. */
export interface WritablePathView {
  path: string;
  storage: 'disk' | 'volume' | 'tmpfs';
  sizeBytes: number | null;
}

/** A sandbox's limits as applied: memory (swap equal, no extra), CPUs, processes, disk (null: not size-limited on its host), OCI runtime. */
export interface SandboxLimitsView {
  memoryBytes: number;
  cpus: number;
  pidsLimit: number;
  diskBytes: number | null;
  runtime: string;
}

/** A tool call as the workflow sees it: small; the full arguments stay in the conversation. */
export interface ToolCallRef {
  id: string;
  name: string;
  /** Up to 200 characters of the raw arguments, for status and the UI. */
  argumentsPreview: string;
}

/** What the status query returns. */
export interface GoalStatusView {
  workflowId: string;
  repository: string;
  goal: string;
  phase: GoalPhase;
  iteration: number;
  maxIterations: number;
  usage: Usage;
  costUsd?: number;
  /** The model (profile) the worker resolved for the goal's calls, once one was made. */
  model?: string;
  /** The limits in force now (extendBudget raises them). */
  limits: BudgetLimits;
  /** What the goal waits for, when it waits: more budget, or a person's approval (one line; see `waiting`). */
  waitingFor?: string;
  /** What the goal waits for a person to decide, since when, until when, and the commands that answer. */
  waiting?: GoalWaiting;
  /** The activity running now, when one is. */
  currentCall?: CurrentCall;
  /** The plan that waits for approval. */
  plan?: string;
  lastTool?: { name: string; argumentsPreview: string; summary: string };
  checks: { state: 'not_run' | 'passed' | 'failed'; results: { command: string; exitCode: number }[] };
  sandboxHost?: string;
  /** Where the sandbox's environment came from: `cached on <host>, 3 h old` or `built on <host> in 41 s (…)` (after a setup phase). */
  environment?: string;
  /** The limits of the goal's sandbox, when it has one. */
  sandboxLimits?: SandboxLimitsView;
  /** The policy of the goal's sandbox, when it has one and its worker reported it. */
  sandboxPolicy?: SandboxPolicyView;
  result?: GoalResult;
}

/** A goal's budget limits as they stand. */
export interface BudgetLimits {
  maxIterations: number;
  maxTotalTokens: number;
  maxCostUsd?: number;
  /** Epoch milliseconds after which the goal stops working. */
  deadlineAt: number;
}
