/** Thrown for a user mistake on the command line; main prints the message alone and exits 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
