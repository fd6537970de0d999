/**
 * The setup phase, as in Codex cloud: the goal's setup script, or else the
 * repository's (`.drydock/environment.json` → `setup`), runs first, with a
 * route out (a per-goal Docker bridge network) and with the setup secrets in
 * that one command's environment; then isolateSandbox disconnects every
 * network, so the agent phase has only loopback, its services' internal
 * network and, when its internet policy is an allowlist, the internal network
 * of its egress proxy (egress-gateway.ts).
 */
import { failure } from '../../workflows/failures';
import type { GoalSetup, SandboxRef } from '../../workflows/types';
import type { ArtifactStore } from '../store/artifact-store';
import { goalPrefix } from '../store/conversation';
import { readEnvironmentRecord } from './goal-environment';
import { ENVIRONMENT_FILE, parseEnvironmentFile } from '../environment/environment-file';
import { Redactor } from '../security/redact';
import type { Sandbox } from '../sandbox/sandbox';
import { setupNetworkName, type DockerNetworks } from '../sandbox/docker-networks';
import { cleanUpAfterSetup, hygieneLog } from './setup-hygiene';
import { servicesNetworkName, type SandboxServices } from '../sandbox/services';
import { trimOutput } from '../sandbox/trim-output';
import type { NodeToolchains } from '../environment/node-toolchains';
import { prepareSandboxNode } from '../environment/sandbox-node';
import { outOfRoom } from '../environment/sandbox-room';
import { combineInternet, normalizeInternet, type InternetPolicy } from '../../workflows/internet-policy';
import { egressNetworkName, type EgressGateways } from '../sandbox/egress-gateway';

/** Bytes of the setup log kept in history. */
const SETUP_LOG_TAIL_BYTES = 3000;

/** What the phase activities need. */
export interface PhaseActivityDeps {
  sandbox: Sandbox;
  store: ArtifactStore;
  /** Network operations; without them a goal that needs a setup phase fails with SetupNotSupported. */
  networks?: DockerNetworks;
  /** DRYDOCK_SETUP_SECRET_<NAME> values of this worker, by NAME. */
  setupSecrets?: Record<string, string>;
  /** Service sidecars; without them a goal whose environment declares services fails with ServicesNotSupported. */
  services?: SandboxServices;
  /** The sandbox image: the default image of a service. */
  image: string;
  /** This host's Node versions (toolchains.node); without them a goal that asks for a Node fails with ToolchainUnavailable. */
  toolchains?: NodeToolchains;
  /** Egress networks and proxies; without them a goal whose internet is an allowlist fails with InternetNotSupported. */
  egress?: EgressGateways;
}

/** Input of runSetup. */
export interface RunSetupInput {
  sandbox: SandboxRef;
  goalId: string;
  setup?: GoalSetup;
  timeoutSeconds?: number;
  /** Where the setup log goes; `goals/<id>/setup.log` when absent. */
  logKey?: string;
  /** Set for the agent's own sandbox (not a clean room): its internet policy is opened, the goal's combined with the repository's. */
  agentPhase?: { internet?: InternetPolicy | 'off' };
}

/** What the setup phase did. */
export interface SetupOutcome {
  ran: boolean;
  exitCode?: number;
  durationMs?: number;
  /** Redacted tail of the log. */
  logTail?: string;
  logRef?: string;
  /** Names of the services started beside the sandbox. */
  services?: string[];
  /** Which Node the sandbox runs, when the goal asked for one (a line of the setup log). */
  node?: string;
  /** The agent phase's egress network, when its internet policy is an allowlist. */
  egress?: string;
}

/** Creates runSetup and isolateSandbox. */
export function createPhaseActivities(deps: PhaseActivityDeps) {
  return {
    /** Runs the setup scripts with network and the named secrets; a failing script fails the goal. */
    async runSetup(input: RunSetupInput): Promise<SetupOutcome> {
      const record = await readEnvironmentRecord(deps.store, input.goalId);
      const environment = parseEnvironmentFile(record.text);
      // The Node the goal asks for, before anything runs in the sandbox (sandbox-node.ts).
      const node = await prepareSandboxNode({
        sandbox: deps.sandbox,
        containerId: input.sandbox.containerId,
        docker: deps.networks?.engine,
        toolchains: deps.toolchains,
        declared: environment.toolchains?.node,
        hints: record.nodeHints ?? {},
      });
      // The goal's setup script overrides the repository's (its secrets are given to whichever runs).
      const goalScript = input.setup?.script?.trim() ? input.setup.script : undefined;
      const script = goalScript ?? (environment.setup?.trim() ? environment.setup : undefined);
      const source = goalScript
        ? `the goal's setup${environment.setup ? `, which overrides ${ENVIRONMENT_FILE}'s` : ''}`
        : ENVIRONMENT_FILE;
      // Services first, so that a setup script can use them (a database migration, say).
      let services: string[] | undefined;
      if (environment.services.length > 0) {
        if (!deps.services) throw failure('ServicesNotSupported', 'this sandbox worker cannot run service sidecars');
        services = await deps.services.start({
          containerId: input.sandbox.containerId,
          containerName: input.sandbox.containerName,
          goalId: input.goalId,
          image: deps.image,
          services: environment.services,
        });
      }
      // The agent phase's way out, ready before the setup runs (the sandbox joins it when isolated).
      const internet = input.agentPhase
        ? combineInternet(
            environment.internet,
            input.agentPhase.internet === undefined ? undefined : normalizeInternet(input.agentPhase.internet),
          )
        : undefined;
      let egress: string | undefined;
      if (internet) {
        if (!deps.egress)
          throw failure(
            'InternetNotSupported',
            `this sandbox worker cannot run an egress proxy, so the internet allowlist of ${ENVIRONMENT_FILE} or of the goal cannot be enforced`,
          );
        egress = await deps.egress.open({
          containerName: input.sandbox.containerName,
          goalId: input.goalId,
          policy: internet,
        });
      }
      const opened = egress ? { egress } : {};
      if (script === undefined)
        return {
          ...(services || egress ? { ran: true, ...(services ? { services } : {}) } : { ran: false }),
          ...(node ? { node } : {}),
          ...opened,
        };
      const env: Record<string, string> = {};
      for (const name of input.setup?.secrets ?? []) {
        const value = deps.setupSecrets?.[name];
        if (value === undefined) {
          throw failure(
            'SetupSecretMissing',
            `setup secret ${name} is not configured on the sandbox worker (set DRYDOCK_SETUP_SECRET_${name})`,
          );
        }
        env[name] = value;
      }
      if (!deps.networks)
        throw failure('SetupNotSupported', 'this sandbox worker cannot give a setup phase network access');
      const network = setupNetworkName(input.sandbox.containerName);
      await deps.networks.ensureSetupNetwork(input.sandbox.containerName, { 'drydock.goal': input.goalId });
      await deps.networks.connect(input.sandbox.containerId, network);
      const timeoutSeconds = input.timeoutSeconds ?? 900;
      const result = await deps.sandbox.exec(input.sandbox.containerId, ['bash', '-lc', script], {
        env,
        timeoutMs: timeoutSeconds * 1000,
        maxOutputBytes: 256 * 1024,
      });
      // Setup leaves nothing behind: no process it started, no file holding a secret (setup-hygiene.ts).
      const secrets = Object.values(env);
      const hygiene =
        result.exitCode === 0 && !result.timedOut
          ? hygieneLog(
              await cleanUpAfterSetup({
                docker: deps.networks.engine,
                sandbox: deps.sandbox,
                containerId: input.sandbox.containerId,
                secrets,
              }),
              secrets,
            )
          : '';
      // The secrets' values are known here whatever the store's redactor knows.
      const redactor = new Redactor(Object.values(env));
      const log = redactor.redact(
        `${node ? `${node}\n` : ''}$ setup (${source})\n${result.stdout}${result.stderr ? `\n${result.stderr}` : ''}${result.timedOut ? `\n[timed out after ${timeoutSeconds} s]` : ''}\n[exit ${result.exitCode}]\n${hygiene}`,
      );
      const logRef = input.logKey ?? `${goalPrefix(input.goalId)}/setup.log`;
      await deps.store.put(logRef, log);
      const logTail = trimOutput(Buffer.from(log), SETUP_LOG_TAIL_BYTES);
      if (result.exitCode !== 0 || result.timedOut) {
        // The host measures the sandbox's disk itself: a full one is named with its size and knob.
        const full = await outOfRoom(deps.networks.engine, input.sandbox.containerId).catch(() => undefined);
        if (full)
          throw failure('SetupOutOfRoom', `the setup script failed (exit ${result.exitCode}): ${full}:\n${logTail}`);
        throw failure(
          'SetupFailed',
          `the setup script failed (exit ${result.exitCode}${result.timedOut ? ', timed out' : ''}):\n${logTail}`,
        );
      }
      return {
        ran: true,
        exitCode: result.exitCode,
        durationMs: result.durationMs,
        logTail,
        logRef,
        services,
        ...(node ? { node } : {}),
        ...opened,
      };
    },

    /**
     * Cuts every network of the sandbox but its services' internal one (no route
     * out) and removes the setup network; attaches its egress network when it
     * has one; verifies nothing else is left.
     */
    async isolateSandbox(input: { sandbox: SandboxRef }): Promise<{ interfaces: string[] }> {
      let kept = 0;
      if (deps.networks) {
        const services = servicesNetworkName(input.sandbox.containerName);
        const egress = egressNetworkName(input.sandbox.containerName);
        const keep = [services, egress];
        await deps.networks.isolate(input.sandbox.containerId, keep);
        await deps.networks.remove(setupNetworkName(input.sandbox.containerName));
        await deps.egress?.connect(input.sandbox.containerId, input.sandbox.containerName);
        const left = await deps.networks.isolate(input.sandbox.containerId, keep);
        if (left.some((n) => !keep.includes(n))) throw new Error(`the sandbox is still attached to ${left.join(', ')}`);
        for (const network of left)
          if (!(await deps.networks.isInternal(network))) throw new Error(`${network} is not an internal network`);
        kept = left.length;
      }
      const net = await deps.sandbox.exec(input.sandbox.containerId, ['ls', '/sys/class/net'], { timeoutMs: 10_000 });
      const interfaces = net.stdout.split('\n').filter(Boolean);
      if (interfaces.filter((i) => i !== 'lo').length > kept)
        throw new Error(`the sandbox still has network interfaces: ${interfaces.join(', ')}`);
      return { interfaces };
    },
  };
}
