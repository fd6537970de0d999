/**
 * drydock's own metrics, by name: what the workers record through the SDK's
 * metric meter (next to Temporal's `temporal_*` metrics on the same
 * /metrics endpoint) and what docs/grafana/drydock.json charts.
 */

/** Goals that ended, by `outcome` (succeeded, failed, cancelled, budget_exhausted, …; `error` when the workflow failed). */
export const GOALS = 'drydock_goals';
/** Tokens of model calls, by `model` and `kind` (prompt, completion). */
export const MODEL_TOKENS = 'drydock_model_tokens';
/** Dollars per model call, by `model` (a histogram: its _sum is the spend). */
export const MODEL_COST_USD = 'drydock_model_cost_usd';
/** How long a model call took, in ms, by `model` and `outcome` (ok, error). */
export const MODEL_CALL_LATENCY = 'drydock_model_call_latency';
/** How long a tool call took in the sandbox, in ms, by `tool`. */
export const TOOL_LATENCY = 'drydock_tool_latency';
/** How long until a goal's sandbox was ready, in ms, by `kind` (cold: created; warm: from the pool) and `host`. */
export const SANDBOX_READY_LATENCY = 'drydock_sandbox_ready_latency';
/** Bytes of each workspace checkpoint. */
export const CHECKPOINT_BYTES = 'drydock_checkpoint_bytes';
/** Warm containers in a sandbox host's pool, by `host`. */
export const SANDBOX_POOL_SIZE = 'drydock_sandbox_pool_size';
/** 1 for each sandbox host whose worker runs, by `host`. */
export const SANDBOX_HOST_UP = 'drydock_sandbox_host_up';

/** Every drydock metric name. */
export const DRYDOCK_METRIC_NAMES = [
  GOALS,
  MODEL_TOKENS,
  MODEL_COST_USD,
  MODEL_CALL_LATENCY,
  TOOL_LATENCY,
  SANDBOX_READY_LATENCY,
  CHECKPOINT_BYTES,
  SANDBOX_POOL_SIZE,
  SANDBOX_HOST_UP,
] as const;

const LATENCY_MS = [10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000, 300_000];

/** Bucket boundaries of drydock's histograms (the SDK's defaults fit none of them). */
export const HISTOGRAM_BUCKETS: Record<string, number[]> = {
  [MODEL_COST_USD]: [0.0001, 0.001, 0.01, 0.05, 0.1, 0.5, 1, 5],
  [MODEL_CALL_LATENCY]: LATENCY_MS,
  [TOOL_LATENCY]: LATENCY_MS,
  [SANDBOX_READY_LATENCY]: LATENCY_MS,
  [CHECKPOINT_BYTES]: [1024, 16_384, 131_072, 1_048_576, 8_388_608, 33_554_432, 67_108_864],
};
