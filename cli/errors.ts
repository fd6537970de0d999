/**
 * The CLI's failures and the exit code each one gives (documented in the
 * README's "Exit codes"): main prints the message in one line and exits with
 * the code.
 */

/** drydock's exit codes: scripts tell a failed goal from bad usage, an unreachable server and a refusal. */
export const EXIT = {
  /** Done; for a goal: it succeeded. */
  ok: 0,
  /** The goal did not succeed (failed, budget exhausted, cancelled), or anything unexpected. */
  failed: 1,
  /** Bad usage: an unknown command or flag, a bad value, a missing argument, no such goal. */
  usage: 2,
  /** Temporal does not answer, or no worker serves the queue the command needs. */
  unreachable: 3,
  /** The goal refused a steering command (wrong gate, not waiting, already ended). */
  refused: 4,
} as const;

/** Thrown for a user mistake on the command line; main prints the message alone and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Thrown when Temporal or the worker a command needs does not answer; main exits 3. */
export class UnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreachableError';
  }
}

/** Thrown when a goal refuses a steering command (its state says why); main exits 4. */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}
