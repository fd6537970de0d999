/** Finds the sandbox image tag that scripts/sandbox-image/build produced. */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { SandboxImageTagError } from './errors';
import { findAbove } from '../find-above';

const TAG_SCRIPT = path.join('scripts', 'sandbox-image', 'tag');

/** The tag script, searched upwards so it works from source and from dist/. */
function findTagScript(): string {
  const script = findAbove(TAG_SCRIPT);
  if (!script) throw new SandboxImageTagError(`${TAG_SCRIPT} not found above ${__dirname}`);
  return script;
}

/** The sandbox image: DRYDOCK_SANDBOX_IMAGE if set, else the tag computed by scripts/sandbox-image/tag. */
export async function resolveSandboxImage(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const configured = env.DRYDOCK_SANDBOX_IMAGE?.trim();
  if (configured) return configured;
  const script = findTagScript();
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)('bash', [script], { encoding: 'utf8' }));
  } catch (err) {
    throw new SandboxImageTagError(`${script} failed: ${(err as Error).message}`);
  }
  const tag = stdout.trim().split('\n').pop()?.trim();
  if (!tag) throw new SandboxImageTagError(`${script} printed no tag`);
  return tag;
}
