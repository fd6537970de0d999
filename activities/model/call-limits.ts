/**
 * The limits of one model call: the caller's cancellation, a total limit and an
 * idle limit (nothing received for that long: the connection is taken for
 * dead). One AbortController carries all three to the HTTP request; `cause()`
 * says afterwards which of them cut the call.
 */
import { ModelCallError, classifyModelError } from './errors';

/** What a call's limits are made from. */
export interface CallLimitOptions {
  /** The caller's cancellation (goal cancelled, activity timed out). */
  signal?: AbortSignal;
  /** The whole call, headers to last byte. */
  timeoutMs?: number;
  /** The longest wait for the next byte (headers, chunk or event). */
  idleTimeoutMs?: number;
}

/** One call's limits; dispose() when the call is over. */
export class CallLimits {
  private readonly controller = new AbortController();
  private readonly onAbort = (): void => this.cut('aborted');
  private totalTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private reason: 'aborted' | 'timeout' | 'idle' | undefined;

  constructor(private readonly options: CallLimitOptions) {
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (options.timeoutMs !== undefined) this.totalTimer = setTimeout(() => this.cut('timeout'), options.timeoutMs);
    this.touch();
  }

  /** The signal the HTTP request runs under. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Something arrived: the idle clock starts again. */
  touch(): void {
    if (this.options.idleTimeoutMs === undefined || this.reason) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.cut('idle'), this.options.idleTimeoutMs);
  }

  /** The error of the limit that cut the call, or undefined when none did. */
  cause(): ModelCallError | undefined {
    switch (this.reason) {
      case 'aborted':
        return cancelledError();
      case 'timeout':
        return new ModelCallError(`model call failed: timeout: no answer within ${this.options.timeoutMs} ms`, {
          kind: 'timeout',
          retryable: true,
        });
      case 'idle':
        return new ModelCallError(
          `model call failed: idle: nothing received for ${this.options.idleTimeoutMs} ms; the connection is taken for dead`,
          { kind: 'idle', retryable: true },
        );
      default:
        return undefined;
    }
  }

  /** Stops the timers and forgets the caller's signal. */
  dispose(): void {
    clearTimeout(this.totalTimer);
    clearTimeout(this.idleTimer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
  }

  private cut(reason: 'aborted' | 'timeout' | 'idle'): void {
    if (this.reason) return;
    this.reason = reason;
    clearTimeout(this.totalTimer);
    clearTimeout(this.idleTimer);
    this.controller.abort();
  }
}

/** The error of a call cancelled by its caller. */
export function cancelledError(): ModelCallError {
  return new ModelCallError('model call failed: aborted: the call was cancelled', {
    kind: 'aborted',
    retryable: false,
  });
}

/**
 * Runs a model call under its limits: refuses an already cancelled call,
 * hands `call` the limits (its signal, `touch()` per chunk), and maps what it
 * throws — or a stream that merely stopped because a limit cut it — to a
 * ModelCallError with the given secrets redacted.
 */
export async function withCallLimits<T>(
  options: CallLimitOptions,
  secrets: readonly string[],
  call: (limits: CallLimits) => Promise<T>,
): Promise<T> {
  if (options.signal?.aborted) throw cancelledError();
  const limits = new CallLimits(options);
  try {
    const result = await call(limits);
    // The SDK's stream ends quietly when its request is aborted.
    const cut = limits.cause();
    if (cut) throw cut;
    return result;
  } catch (err) {
    throw limits.cause() ?? classifyModelError(err, secrets);
  } finally {
    limits.dispose();
  }
}
