/** Thrown when a command or copy targets a sandbox whose container is gone; the workflow re-provisions. */
export class SandboxNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`sandbox not found: ${id}`);
    this.name = 'SandboxNotFoundError';
  }
}

/** Thrown when a command targets a sandbox that exists but is stopped or paused. */
export class SandboxNotRunningError extends Error {
  constructor(readonly id: string) {
    super(`sandbox is not running: ${id}`);
    this.name = 'SandboxNotRunningError';
  }
}

/** Thrown when creating a sandbox from an image the Docker engine does not have. */
export class SandboxImageNotFoundError extends Error {
  constructor(readonly image: string) {
    super(`sandbox image not found: ${image} (build it with: bash scripts/sandbox-image/build)`);
    this.name = 'SandboxImageNotFoundError';
  }
}

/** Thrown when the sandbox image tag can be neither read from the environment nor computed by scripts/sandbox-image/tag. */
export class SandboxImageTagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxImageTagError';
  }
}
