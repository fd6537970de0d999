/** Thrown when a payload cannot be encrypted or decrypted (wrong key, tampered data). */
export class PayloadCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadCodecError';
  }
}
