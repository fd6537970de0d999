/** `drydock doctor`: one line per thing a goal needs, with how to fix what is missing. */
import Dockerode from 'dockerode';
import { resolveSandboxImage } from '../activities/sandbox/image-tag';
import { dockerClientFor, isLocalDockerEngine } from '../activities/sandbox/docker-engine';
import { loadSeccompProfile, seccompProfilePath } from '../activities/sandbox/seccomp-profile';
import { DEFAULT_IMAGE_ROOT, probeSandboxDisks } from '../activities/sandbox/sandbox-disk';
import type { DoctorConfig } from './config';
import { connectClient } from './connect';
import { describeTemporalConnection } from '../activities/shared/temporal-connection';
import { explainConnectError } from '../activities/shared/temporal-connect-error';
import { printJson, printText } from './output';

/** One check's verdict. */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  /** What was found, or what is wrong and how to fix it. */
  detail: string;
  /** False for checks that inform but do not block a goal. */
  required: boolean;
}

/** Runs every check; returns the exit code (1 when a required check fails). */
export async function doctor(config: DoctorConfig, json: boolean): Promise<number> {
  const checks = await Promise.all([checkTemporal(config), checkDockerAndImage(config), checkSandboxDisk(config)]).then(
    ([t, d, disk]) => [t, ...d, checkSeccomp(config), disk, checkModel(config)],
  );
  if (json) printJson({ ok: checks.every((c) => c.ok || !c.required), checks });
  else for (const c of checks) printText(`${c.ok ? '✔' : c.required ? '✘' : '•'} ${c.name.padEnd(14)} ${c.detail}\n`);
  return checks.every((c) => c.ok || !c.required) ? 0 : 1;
}

async function checkTemporal(config: DoctorConfig): Promise<DoctorCheck> {
  try {
    const { client, close } = await connectClient(config);
    try {
      await client.workflowService.getSystemInfo({});
      return {
        name: 'Temporal',
        ok: true,
        detail: `answers at ${config.temporalAddress} (${describeTemporalConnection(config.temporal)}); UI ${config.temporalUiUrl}`,
        required: true,
      };
    } finally {
      await close();
    }
  } catch (err) {
    // connectClient's line already says what failed; a failed first call is told the same way.
    const message = err instanceof Error ? err.message : String(err);
    const detail = /^(cannot reach|TLS handshake|Temporal at)/.test(message)
      ? message
      : await explainConnectError(err, config.temporal);
    return {
      name: 'Temporal',
      ok: false,
      detail: `${detail} [${describeTemporalConnection(config.temporal)}]`,
      required: true,
    };
  }
}

async function checkDockerAndImage(config: DoctorConfig): Promise<DoctorCheck[]> {
  const docker: Dockerode = dockerClientFor(config.dockerHost);
  let version: string;
  try {
    version = (await withTimeout(docker.version(), 5000)).Version;
  } catch (err) {
    return [
      {
        name: 'Docker',
        ok: false,
        detail: `no Docker engine answers at ${config.dockerHost ?? '/var/run/docker.sock'} (${err instanceof Error ? err.message : String(err)}); start it with \`npm run setup\` (starts dockerd as root) or \`sudo systemctl start docker\``,
        required: true,
      },
      { name: 'sandbox image', ok: false, detail: 'not checked: Docker does not answer', required: true },
    ];
  }
  const dockerCheck: DoctorCheck = { name: 'Docker', ok: true, detail: `engine ${version} answers`, required: true };
  let image: string;
  try {
    image = config.sandboxImage ?? (await resolveSandboxImage());
  } catch (err) {
    return [dockerCheck, { name: 'sandbox image', ok: false, detail: String(err), required: true }];
  }
  try {
    await docker.getImage(image).inspect();
    return [dockerCheck, { name: 'sandbox image', ok: true, detail: `${image} present`, required: true }];
  } catch {
    return [
      dockerCheck,
      {
        name: 'sandbox image',
        ok: false,
        detail: `${image} is missing; build it with \`npm run setup\` (or bash scripts/sandbox-image/build)`,
        required: true,
      },
    ];
  }
}

/** drydock's seccomp profile, without which a sandbox worker does not start. */
function checkSeccomp(config: DoctorConfig): DoctorCheck {
  const file = config.seccompProfilePath ?? seccompProfilePath();
  try {
    loadSeccompProfile(file);
    return { name: 'seccomp', ok: true, detail: `${file} (no AF_VSOCK sockets)`, required: true };
  } catch (err) {
    return { name: 'seccomp', ok: false, detail: err instanceof Error ? err.message : String(err), required: true };
  }
}

/** Whether sandbox workspaces get a fixed-size disk here, as a sandbox worker started from this shell would find. */
async function checkSandboxDisk(config: DoctorConfig): Promise<DoctorCheck> {
  const size = config.sandboxDiskBytes;
  if (size === null)
    return {
      name: 'workspace disk',
      ok: false,
      detail: 'not size-limited (DRYDOCK_SANDBOX_DISK=off)',
      required: false,
    };
  // The folder a sandbox worker keeps its disk images in (host state, not DRYDOCK_DATA_DIR).
  const support = await probeSandboxDisks(DEFAULT_IMAGE_ROOT, { local: isLocalDockerEngine(config.dockerHost) });
  if (!support.ok)
    return { name: 'workspace disk', ok: false, detail: `not size-limited: ${support.reason}`, required: false };
  return {
    name: 'workspace disk',
    ok: true,
    detail: `${Math.round((size / 1024 ** 3) * 10) / 10} GiB per sandbox (DRYDOCK_SANDBOX_DISK), ext4 on a loop device`,
    required: false,
  };
}

function checkModel(config: DoctorConfig): DoctorCheck {
  if (config.openaiBaseUrl)
    return {
      name: 'model',
      ok: true,
      detail: `endpoint ${config.openaiBaseUrl}, default model ${config.defaultModel}`,
      required: false,
    };
  if (config.hasOpenAiApiKey)
    return {
      name: 'model',
      ok: true,
      detail: `OpenAI API (OPENAI_API_KEY set), default model ${config.defaultModel}`,
      required: false,
    };
  return {
    name: 'model',
    ok: false,
    detail:
      'no OPENAI_API_KEY or OPENAI_BASE_URL: `npm run demo` uses the scripted model; set one of them to run goals on a real model',
    required: false,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref()),
  ]);
}
