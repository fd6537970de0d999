/** Thrown when a payload cannot be encrypted or decrypted (wrong key, tampered data). */
export class PayloadCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadCodecError';
  }
}

/** Thrown when the publish gate refuses a change; the message lists the reasons. */
export class PublishRefusedError extends Error {
  constructor(readonly reasons: string[]) {
    super(`the publish gate refused the change: ${reasons.join('; ')}`);
    this.name = 'PublishRefusedError';
  }
}
