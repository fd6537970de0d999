/**
 * A worker activity interceptor that records what each model call cost:
 * latency by model and outcome, tokens by model and kind, and dollars by
 * model, through the SDK's metric meter (workflows/metric-names.ts).
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { ModelTurn } from '../activities/agent/model-activities';
import { MODEL_CALL_LATENCY, MODEL_COST_USD, MODEL_TOKENS } from '../workflows/metric-names';
import { costOf } from '../workflows/policy';

/** The interceptor factory for WorkerOptions.interceptors.activity (acts on callModel only). */
export function modelMetricsInterceptor(defaultModel: string): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        if (ctx.info.activityType !== 'callModel') return next(input);
        const requested = (input.args[0] as { model?: { name?: string } } | undefined)?.model?.name ?? defaultModel;
        const started = Date.now();
        try {
          const turn = (await next(input)) as ModelTurn;
          if (turn.refused !== undefined) return turn;
          const model = turn.model ?? requested;
          const meter = ctx.metricMeter;
          meter.createHistogram(MODEL_CALL_LATENCY).record(Date.now() - started, { model, outcome: 'ok' });
          const tokens = meter.createCounter(MODEL_TOKENS);
          if (turn.usage.promptTokens > 0) tokens.add(turn.usage.promptTokens, { model, kind: 'prompt' });
          if (turn.usage.completionTokens > 0) tokens.add(turn.usage.completionTokens, { model, kind: 'completion' });
          const usd = costOf(turn.usage, turn.price);
          if (usd !== undefined) meter.createHistogram(MODEL_COST_USD, 'float').record(usd, { model });
          return turn;
        } catch (err) {
          ctx.metricMeter
            .createHistogram(MODEL_CALL_LATENCY)
            .record(Date.now() - started, { model: requested, outcome: 'error' });
          throw err;
        }
      },
    },
  });
}
