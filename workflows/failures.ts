/**
 * The failure catalogue: every failure `type` drydock raises, what it means,
 * whether Temporal retries it, and what raises it. Plain data (workflows,
 * activities and clients all import it); `failure()` is the one way to make
 * the ApplicationFailure for a type. The README's failure table is generated
 * from it (`node dist/scripts/failure-table.js`) and checked by a unit test.
 */
import { ApplicationFailure } from '@temporalio/common';

/** What the catalogue says about one failure type. */
export interface FailureInfo {
  /** One line: what happened (and, for a hopeless failure, what to fix). */
  meaning: string;
  /** Whether Temporal retries the activity; a non-retryable failure fails the goal at once with this type. */
  retryable: boolean;
  /** The one case, if any, where the failure's retryability differs from `retryable`. */
  except?: string;
  /** The activities or workflows that raise it. */
  raisedBy: string;
}

/** What calls GitHub: the agent's GitHub activities, and the sandbox activities that clone a GitHub repository (a GitHub App's token). */
const GITHUB_CALLERS = 'readIssue, readReviewFeedback, publishChange; clones of a GitHub repository';

/** Every failure type, grouped as a person meets them: goal input, repository and environment, sandbox, change, model, GitHub. */
export const FAILURES = {
  InvalidGoalInput: {
    meaning:
      'the goal input is invalid (the message lists every problem), or names an issue that is a pull request or a pull request that cannot be revised',
    retryable: false,
    raisedBy: 'codingAgent, maintenance, readIssue, readReviewFeedback',
  },
  GoalFailed: {
    meaning:
      'the goal ended without success (checks failing, a plan or change rejected, an approval timed out, the publish gate refused); `details[0]` is the GoalResult',
    retryable: false,
    raisedBy: 'codingAgent',
  },
  GoalBudgetExhausted: {
    meaning:
      'a budget (turns, tokens, dollars, deadline) ran out; `details[0]` is the GoalResult, with the draft PR when one was published',
    retryable: false,
    raisedBy: 'codingAgent',
  },
  InvalidInput: {
    meaning: 'an activity was called without an input it needs (a bug in the caller)',
    retryable: false,
    raisedBy: 'collectChange',
  },
  InvalidRepository: {
    meaning: 'the repository or its branch cannot be cloned, or is not a repository on the configured GitHub',
    retryable: false,
    raisedBy: 'copyRepository, collectChange, verifyChange, readIssue, readReviewFeedback, publishChange',
  },
  RepositoryTooLarge: {
    meaning: 'the repository is larger than the sandbox worker checks out',
    retryable: false,
    raisedBy: 'copyRepository, collectChange, verifyChange',
  },
  InvalidEnvironment: {
    meaning:
      '.drydock/environment.json is not a regular file, too large, not valid JSON, or does not match its schema (docs/environment.md); the message lists every problem, one line each',
    retryable: false,
    raisedBy: 'copyRepository, runSetup',
  },
  SandboxLost: {
    meaning:
      "the sandbox container is gone or stopped, or its host's Docker engine does not answer (the workflow provisions another), or a goal lost more sandboxes than it may",
    retryable: false,
    raisedBy: 'every sandbox activity on a container; codingAgent',
  },
  SandboxHostFull: {
    meaning:
      'the sandbox host that took a provision stayed full (DRYDOCK_SANDBOX_CAPACITY) or was drained while it waited for room; Temporal provisions again, on the host with room',
    retryable: true,
    raisedBy: 'provisionSandbox',
  },
  SetupNotSupported: {
    meaning: 'the sandbox worker cannot give a setup phase network access (it needs root and iptables)',
    retryable: false,
    raisedBy: 'runSetup',
  },
  SetupSecretMissing: {
    meaning: 'a setup secret the goal names is not configured on the sandbox worker (`DRYDOCK_SETUP_SECRET_<NAME>`)',
    retryable: false,
    raisedBy: 'runSetup',
  },
  SetupFailed: {
    meaning: 'the setup script exited non-zero or timed out; the message ends with its log',
    retryable: false,
    raisedBy: 'runSetup',
  },
  SetupOutOfRoom: {
    meaning:
      "the setup script failed because the sandbox's disk (/workspace and $HOME) is full; the message names its size and DRYDOCK_SANDBOX_DISK",
    retryable: false,
    raisedBy: 'runSetup',
  },
  ToolchainUnavailable: {
    meaning:
      "the Node version the goal asks for (toolchains.node, .nvmrc, .node-version, engines.node) is malformed, not published, too old, or cannot be put first on the sandbox's PATH",
    retryable: false,
    raisedBy: 'runSetup',
  },
  SetupProcessesLeft: {
    meaning: 'processes of the setup phase still ran after every one was killed',
    retryable: true,
    raisedBy: 'runSetup',
  },
  ServicesNotSupported: {
    meaning: 'the sandbox worker cannot run service sidecars (it needs root and iptables)',
    retryable: false,
    raisedBy: 'runSetup',
  },
  InternetNotSupported: {
    meaning:
      "the goal's internet policy is an allowlist but the sandbox worker cannot enforce it (it needs root, iptables and a Docker engine on this host)",
    retryable: false,
    raisedBy: 'runSetup',
  },
  ServiceImageNotAllowed: {
    meaning: "a service's image is not the sandbox image nor listed in `DRYDOCK_SERVICE_IMAGES`",
    retryable: false,
    raisedBy: 'runSetup',
  },
  ServiceNotReady: {
    meaning: "a service's ready command did not succeed within 60 s",
    retryable: false,
    raisedBy: 'runSetup',
  },
  ToolCallNotFound: {
    meaning: 'the tool call to run is not in the stored conversation (a bug or a damaged store)',
    retryable: false,
    raisedBy: 'runTool',
  },
  ChangeTooLarge: {
    meaning: 'the change is larger than the sandbox worker collects (the message names the largest files)',
    retryable: false,
    raisedBy: 'collectChange',
  },
  WorkspaceUnreadable: {
    meaning:
      'the workspace archive cannot be read as a change (too many entries, a path below a file or symlink, a new hard link to a file setup made)',
    retryable: false,
    raisedBy: 'collectChange, recordBaseline',
  },
  ChangeMismatch: {
    meaning: 'the change applied to the base commit does not give the tree that was verified',
    retryable: false,
    raisedBy: 'verifyChange',
  },
  PublishRefused: {
    meaning:
      'the publish gate refused the change (protected paths, secrets, hidden Unicode); the message lists the reasons',
    retryable: false,
    raisedBy: 'collectChange, publishChange',
  },
  PatchDoesNotApply: {
    meaning: 'the change no longer applies to the base branch',
    retryable: false,
    raisedBy: 'publishChange',
  },
  ModelNotConfigured: {
    meaning: 'the agent worker has no model endpoint: set `OPENAI_API_KEY` (and `OPENAI_BASE_URL`)',
    retryable: false,
    raisedBy: 'callModel',
  },
  ModelEndpointNotAllowed: {
    meaning: "the goal's `model.baseUrl` is not listed in `DRYDOCK_MODEL_BASE_URLS` on the agent worker",
    retryable: false,
    raisedBy: 'callModel',
  },
  ModelRateLimited: {
    meaning: 'the model endpoint answered 429; the next retry waits for its `Retry-After`',
    retryable: true,
    except: 'not when the quota is spent (`insufficient_quota`)',
    raisedBy: 'callModel',
  },
  ModelServerError: { meaning: 'the model endpoint answered 5xx (or 409)', retryable: true, raisedBy: 'callModel' },
  ModelTimeout: {
    meaning: 'the model call timed out (or the endpoint answered 408)',
    retryable: true,
    raisedBy: 'callModel',
  },
  ModelConnection: { meaning: 'the model endpoint could not be reached', retryable: true, raisedBy: 'callModel' },
  ModelIdle: {
    meaning: 'the model stream sent nothing for `modelIdleTimeoutSeconds`: the connection is taken for dead',
    retryable: true,
    raisedBy: 'callModel',
  },
  ModelMalformedResponse: {
    meaning: 'the model endpoint answered 2xx with a body that cannot be read',
    retryable: true,
    raisedBy: 'callModel',
  },
  ModelBadRequest: {
    meaning: 'the model endpoint refused the request as invalid (400, 422, …)',
    retryable: false,
    raisedBy: 'callModel',
  },
  ModelContextTooLong: {
    meaning: "the prompt is longer than the model's context (413, or 400 saying so)",
    retryable: false,
    raisedBy: 'callModel',
  },
  ModelUnauthorized: {
    meaning: 'the model endpoint refused the API key (401)',
    retryable: false,
    raisedBy: 'callModel',
  },
  ModelForbidden: { meaning: 'the API key may not use the model (403)', retryable: false, raisedBy: 'callModel' },
  ModelNotFound: { meaning: 'the model or the endpoint does not exist (404)', retryable: false, raisedBy: 'callModel' },
  ModelAborted: { meaning: 'the model call was aborted', retryable: false, raisedBy: 'callModel' },
  GitHubNotConfigured: {
    meaning:
      'the goal needs GitHub but the agent worker has no credential: set `GITHUB_TOKEN`, or `GITHUB_APP_ID` and `GITHUB_APP_PRIVATE_KEY`',
    retryable: false,
    raisedBy: 'readIssue, readReviewFeedback',
  },
  GitHubUnavailable: {
    meaning: 'GitHub could not be reached or answered 5xx, or git failed talking to it',
    retryable: true,
    raisedBy: GITHUB_CALLERS,
  },
  GitHubRateLimited: {
    meaning: "GitHub's rate limit was hit; the next retry waits as long as GitHub asks",
    retryable: true,
    raisedBy: GITHUB_CALLERS,
  },
  GitHubUnauthorized: {
    meaning: 'GitHub rejected the credential (401): invalid, expired or revoked',
    retryable: false,
    raisedBy: GITHUB_CALLERS,
  },
  GitHubForbidden: {
    meaning: 'the credential lacks a permission on the repository (403; the message names it)',
    retryable: false,
    raisedBy: GITHUB_CALLERS,
  },
  GitHubNotFound: {
    meaning:
      'the repository, issue or pull request does not exist or the credential cannot see it (404), or the pull request to revise is no longer open',
    retryable: false,
    raisedBy: GITHUB_CALLERS,
  },
  GitHubValidationFailed: {
    meaning: 'GitHub refused the request as invalid (422)',
    retryable: false,
    raisedBy: GITHUB_CALLERS,
  },
  GitHubRequestFailed: {
    meaning: 'GitHub refused the request with another 4xx status',
    retryable: false,
    raisedBy: GITHUB_CALLERS,
  },
  GitPushRejected: {
    meaning: 'the push to GitHub was rejected (the branch moved meanwhile)',
    retryable: true,
    raisedBy: 'publishChange',
  },
  BranchMoved: {
    meaning: 'someone pushed to the pull request branch while drydock revised it; run `drydock revise` again',
    retryable: false,
    raisedBy: 'publishChange',
  },
  NoReviewFeedback: {
    meaning: 'the pull request to revise has no unresolved review feedback on its current diff',
    retryable: false,
    raisedBy: 'readReviewFeedback',
  },
} as const satisfies Record<string, FailureInfo>;

/** A failure type drydock raises: a key of the catalogue. */
export type FailureType = keyof typeof FAILURES;

/** Type of the failure a sandbox activity throws when its container is gone or stopped; the workflow re-provisions. */
export const SANDBOX_LOST = 'SandboxLost' satisfies FailureType;

/** What `failure()` takes besides the type and the message. */
export interface FailureOptions {
  /** The error that caused it. */
  cause?: Error;
  /** When Temporal should try again (a Retry-After); ignored by non-retryable failures. */
  nextRetryDelay?: number;
  /** Overrides the catalogue's retryability, for the case its `except` names only. */
  nonRetryable?: boolean;
}

/** The ApplicationFailure of a catalogued type, retryable or not as the catalogue says. */
export function failure(type: FailureType, message: string, options: FailureOptions = {}): ApplicationFailure {
  const info: FailureInfo = FAILURES[type];
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: options.nonRetryable ?? !info.retryable,
    cause: options.cause,
    nextRetryDelay: options.nextRetryDelay,
  });
}
