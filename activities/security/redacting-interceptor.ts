/**
 * A worker activity interceptor that redacts secrets from what activities
 * hand to Temporal: results (they go to history) and failure messages and
 * stacks (they go to history and to the worker's log).
 */
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
  Next,
} from '@temporalio/worker';
import type { Redactor } from './redact';

/** The interceptor factory for WorkerOptions.interceptors.activity. */
export function redactingActivityInterceptor(redactor: Redactor): ActivityInterceptorsFactory {
  const inbound: ActivityInboundCallsInterceptor = {
    async execute(
      input: ActivityExecuteInput,
      next: Next<ActivityInboundCallsInterceptor, 'execute'>,
    ): Promise<unknown> {
      try {
        return redactValue(await next(input), redactor);
      } catch (err) {
        throw redactError(err, redactor);
      }
    },
  };
  return () => ({ inbound });
}

/** A copy of a JSON-like value with every string redacted (Buffers and class instances are kept). */
export function redactValue<T>(value: T, redactor: Redactor, depth = 0): T {
  if (typeof value === 'string') return redactor.redact(value) as T;
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v: unknown) => redactValue(v, redactor, depth + 1)) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, redactor, depth + 1)])) as T;
}

/** Redacts an error's message and stack in place, along its cause chain; returns it. */
export function redactError(err: unknown, redactor: Redactor): unknown {
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < 10; depth++) {
    const e = current as Error & { details?: unknown };
    e.message = redactor.redact(e.message);
    if (e.stack) e.stack = redactor.redact(e.stack);
    if (Array.isArray(e.details)) e.details = redactValue(e.details, redactor);
    current = e.cause;
  }
  return err;
}
