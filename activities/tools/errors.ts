/** Thrown by a tool's parse when the model's arguments are invalid; the message goes back to the model. */
export class ToolArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolArgumentError';
  }
}
