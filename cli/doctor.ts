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
import type { Client } from '@temporalio/client';
import { AGENT_QUEUE, SANDBOX_QUEUE, sandboxHostQueue } from '../workflows/queues';
import type { ModelProfilesAnswer } from '../workflows/model-profiles';
import type { SandboxHostsResult } from '../workflows/sandbox-hosts';
import { readOnAgent } from './agent-read';
import { noWorkerMessage, pollersOf, type Poller } from './pollers';

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
  const checks = await Promise.all([
    checkTemporal(config),
    checkWorkers(config),
    checkDockerAndImage(config),
    checkSandboxDisk(config),
  ]).then(([t, workers, d, disk]) => [t, ...workers, ...d, checkSeccomp(config), disk, checkModel(config)]);
  if (json) printJson({ ok: checks.every((c) => c.ok || !c.required), checks });
  else for (const c of checks) printText(`${c.ok ? '✔' : c.required ? '✘' : '•'} ${c.name.padEnd(14)} ${c.detail}\n`);
  // Docker and the image are checked on this machine; a sandbox worker elsewhere has its own.
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

/**
 * The workers, as Temporal sees them: pollers on drydock-agent (workflows and activities), on the shared
 * sandbox queue, and on each sandbox host's own queue (hosts named by the shared queue's pollers); then the
 * model configuration as the agent worker holds it (read on it through the modelProfiles workflow).
 */
async function checkWorkers(config: DoctorConfig): Promise<DoctorCheck[]> {
  let connected;
  try {
    connected = await connectClient(config);
  } catch {
    return [{ name: 'workers', ok: false, detail: 'not checked: Temporal does not answer', required: true }];
  }
  const { client, close } = connected;
  try {
    const agent = await pollersOf(client, config.namespace, AGENT_QUEUE, 'workflow');
    const agentActivities = await pollersOf(client, config.namespace, AGENT_QUEUE, 'activity');
    const sandbox = await pollersOf(client, config.namespace, SANDBOX_QUEUE, 'activity');
    // A host polls the shared queue only while it takes new sandboxes (workers/host-placement.ts): the hosts that
    // do not now (drained, full, or another is less loaded) are found by their reports, read on the agent worker.
    const reported =
      agent.length > 0
        ? await readOnAgent<SandboxHostsResult>(client, config, 'sandboxHosts', [{}], 'sandbox hosts').then(
            (r) => r.hosts.filter((h) => h.health === 'up'),
            () => [],
          )
        : [];
    const hosts = [
      ...new Set([
        ...sandbox.map((p) => /sandbox-host=(\S+)/.exec(p.identity)?.[1]).filter(Boolean),
        ...reported.map((h) => h.host),
      ]),
    ] as string[];
    const drained = new Set(reported.filter((h) => h.drained).map((h) => h.host));
    const hostQueues = await Promise.all(
      hosts.map(async (h) => ({
        h,
        pollers: await pollersOf(client, config.namespace, sandboxHostQueue(h), 'activity'),
      })),
    );
    const seen = (pollers: Poller[]) => pollers.map((p) => p.identity.split(' ')[0]).join(', ');
    const checks: DoctorCheck[] = [
      agent.length > 0 && agentActivities.length > 0
        ? { name: 'agent worker', ok: true, detail: `polls ${AGENT_QUEUE} (${seen(agent)})`, required: true }
        : { name: 'agent worker', ok: false, detail: noWorkerMessage(AGENT_QUEUE), required: true },
      sandbox.length > 0
        ? { name: 'sandbox worker', ok: true, detail: `polls ${SANDBOX_QUEUE} (${seen(sandbox)})`, required: true }
        : reported.length > 0
          ? {
              name: 'sandbox worker',
              ok: true,
              detail: `${reported.length} host(s) up, none polls ${SANDBOX_QUEUE} now (drained or full: see drydock hosts)`,
              required: true,
            }
          : { name: 'sandbox worker', ok: false, detail: noWorkerMessage(SANDBOX_QUEUE), required: true },
      ...hostQueues.map(({ h, pollers }) =>
        pollers.length > 0
          ? {
              name: 'sandbox host',
              ok: true,
              detail: `${h}: polls ${sandboxHostQueue(h)}${drained.has(h) ? ' (drained: takes no new sandbox)' : ''}`,
              required: true,
            }
          : {
              name: 'sandbox host',
              ok: false,
              detail: `${h}: nobody polls ${sandboxHostQueue(h)} (its goals' tool calls wait); restart that host's worker`,
              required: true,
            },
      ),
    ];
    if (agent.length > 0) checks.push(await checkWorkerModel(client, config));
    return checks;
  } catch (err) {
    return [{ name: 'workers', ok: false, detail: err instanceof Error ? err.message : String(err), required: true }];
  } finally {
    await close();
  }
}

/** The default model and its endpoint as the agent worker resolves them (not this shell's environment). */
async function checkWorkerModel(client: Client, config: DoctorConfig): Promise<DoctorCheck> {
  try {
    const answer = await readOnAgent<ModelProfilesAnswer>(client, config, 'modelProfiles', [], 'model profiles');
    const profile = answer.profiles.find((p) => p.name === answer.defaultModel);
    if (!profile)
      return {
        name: 'worker model',
        ok: true,
        detail: `default model ${answer.defaultModel} (no profile: the worker's own endpoint, unpriced)`,
        required: false,
      };
    const priced = profile.price ? 'priced' : 'unpriced';
    return {
      name: 'worker model',
      ok: profile.apiKeySet || profile.endpoint !== 'https://api.openai.com/v1',
      detail: `default model ${answer.defaultModel} (${profile.model}, ${profile.api}) at ${profile.endpoint}, key ${profile.apiKeyVariable}${profile.apiKeySet ? ' set' : ' unset'}, ${priced}`,
      required: false,
    };
  } catch (err) {
    return {
      name: 'worker model',
      ok: false,
      detail: err instanceof Error ? err.message : String(err),
      required: false,
    };
  }
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
