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
import { readEnvironmentRecord, readTrackedPaths, type EnvironmentRecord } from './goal-environment';
import { ageText, type EnvironmentCache, type EnvironmentEntry } from '../environment/environment-cache';
import { environmentKey, placementKey } from '../environment/environment-cache-key';
import {
  coveredBy,
  readSnapshotManifest,
  restoreSnapshot,
  SnapshotUnusableError,
  takeSnapshot,
  type RestoredSnapshot,
} from '../environment/environment-snapshot';
import { deriveBaseline, warmOrderProblem, type SnapshotManifest } from '../environment/snapshot-manifest';
import { copiedBaselineKey, derivedBaselineKey } from './baseline';
import { decodeBaseline, encodeBaseline } from './workspace-baseline';
import type Dockerode from 'dockerode';
import { ENVIRONMENT_FILE, parseEnvironmentFile } from '../environment/environment-file';
import { Redactor } from '../security/redact';
import type { Sandbox } from '../sandbox/sandbox';
import { setupNetworkName, type DockerNetworks } from '../sandbox/docker-networks';
import { WARM_ENVIRONMENT_LABEL } from '../sandbox/container-options';
import { cleanUpAfterSetup, hygieneLog } from './setup-hygiene';
import { servicesNetworkName, type SandboxServices } from '../sandbox/services';
import { trimOutput } from '../sandbox/trim-output';
import type { NodeToolchains } from '../environment/node-toolchains';
import { prepareSandboxNode } from '../environment/sandbox-node';
import { outOfRoom } from '../environment/sandbox-room';
import { internetText } from './internet-text';
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
  /** This host's environment cache; without it every setup runs cold. */
  environmentCache?: EnvironmentCache;
  /** This worker's host name (named in the status of a goal that starts from the cache). */
  host?: string;
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
  /** false: neither start from nor add to the environment cache (the clean-room verification). */
  cache?: boolean;
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
  /** That allowlist in words, for the model's rules (internet-text.ts). */
  internet?: string;
  /** Where the environment came from: `cached on <host>, 3 h old` or `built in 41 s` (with why it was not cached, when the cache is on). */
  environment?: string;
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
      const sourceOfSetup = goalScript
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
      const opened = egress && internet ? { egress, internet: internetText(internet) } : {};
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
      const engine = deps.networks.engine;
      const cacheLog: string[] = [];
      // The environment cache (environment-cache.ts): a hit replaces the setup script with the maintenance one.
      const cached =
        deps.environmentCache && record.cache && input.cache !== false
          ? await startFromCache({
              deps,
              cache: deps.environmentCache,
              engine,
              record,
              input,
              script,
              node: node ?? '',
              log: cacheLog,
              // Only a hit that runs nothing after the restore has a baseline known in advance.
              derive: !environment.maintenance?.trim(),
            })
          : undefined;
      const phase = cached?.entry ? 'maintenance' : 'setup';
      const phaseScript = cached?.entry ? environment.maintenance : script;
      const timeoutSeconds = input.timeoutSeconds ?? 900;
      const logRef = input.logKey ?? `${goalPrefix(input.goalId)}/setup.log`;
      const redactor = new Redactor(Object.values(env));
      const head = `${node ? `${node}\n` : ''}${cacheLog.map((l) => `${l}\n`).join('')}`;
      const environmentLine = cached?.entry
        ? `cached on ${cached.entry.host}, ${ageText(Date.now() - cached.entry.createdAt)} old${cached.warm ? ', started warm' : ''}`
        : undefined;
      if (phaseScript === undefined || !phaseScript.trim()) {
        // A cached environment and no maintenance script: nothing runs, no network is given.
        const log = redactor.redact(`${head}$ setup skipped: the environment came from the cache\n`);
        await deps.store.put(logRef, log);
        return {
          ran: true,
          exitCode: 0,
          durationMs: 0,
          logTail: trimOutput(Buffer.from(log), SETUP_LOG_TAIL_BYTES),
          logRef,
          services,
          environment: environmentLine,
          ...(node ? { node } : {}),
          ...opened,
        };
      }
      const network = setupNetworkName(input.sandbox.containerName);
      await deps.networks.ensureSetupNetwork(input.sandbox.containerName, { 'drydock.goal': input.goalId });
      await deps.networks.connect(input.sandbox.containerId, network);
      const result = await deps.sandbox.exec(input.sandbox.containerId, ['bash', '-lc', phaseScript], {
        env,
        timeoutMs: timeoutSeconds * 1000,
        maxOutputBytes: 256 * 1024,
      });
      // Setup leaves nothing behind: no process it started, no file holding a secret (setup-hygiene.ts).
      const secrets = Object.values(env);
      const ok = result.exitCode === 0 && !result.timedOut;
      const hygiene = ok
        ? hygieneLog(
            await cleanUpAfterSetup({
              docker: engine,
              sandbox: deps.sandbox,
              containerId: input.sandbox.containerId,
              secrets,
            }),
            secrets,
          )
        : '';
      // The snapshot is taken after the hygiene, so a cached environment never holds what it removed.
      const saved =
        ok && cached && !cached.entry && !cached.keep
          ? await saveToCache({
              deps,
              cache: cached.cache,
              input,
              record,
              key: cached.key,
              imageId: cached.imageId,
              node: node ?? '',
              secrets,
              setupMs: result.durationMs,
              script,
            })
          : undefined;
      const source = phase === 'maintenance' ? `${ENVIRONMENT_FILE} maintenance` : sourceOfSetup;
      // The secrets' values are known here whatever the store's redactor knows.
      const log = redactor.redact(
        `${head}$ ${phase} (${source})\n${result.stdout}${result.stderr ? `\n${result.stderr}` : ''}${result.timedOut ? `\n[timed out after ${timeoutSeconds} s]` : ''}\n[exit ${result.exitCode}]\n${hygiene}${saved ? `${saved}\n` : ''}`,
      );
      await deps.store.put(logRef, log);
      const logTail = trimOutput(Buffer.from(log), SETUP_LOG_TAIL_BYTES);
      if (!ok) {
        // The host measures the sandbox's disk itself: a full one is named with its size and knob.
        const full = await outOfRoom(engine, input.sandbox.containerId).catch(() => undefined);
        if (full)
          throw failure('SetupOutOfRoom', `the ${phase} script failed (exit ${result.exitCode}): ${full}:\n${logTail}`);
        throw failure(
          'SetupFailed',
          `the ${phase} script failed (exit ${result.exitCode}${result.timedOut ? ', timed out' : ''}):\n${logTail}`,
        );
      }
      return {
        ran: true,
        exitCode: result.exitCode,
        durationMs: result.durationMs,
        logTail,
        logRef,
        services,
        environment:
          environmentLine ??
          `built in ${ageText(result.durationMs)}${saved && !saved.startsWith('environment: cached') ? ` (${saved.replace(/^environment: /, '')})` : ''}`,
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

/** What startFromCache needs. */
interface CacheStartOptions {
  deps: PhaseActivityDeps;
  cache: EnvironmentCache;
  engine: Dockerode;
  record: EnvironmentRecord;
  input: RunSetupInput;
  script: string;
  node: string;
  /** Lines for the setup log. */
  log: string[];
  /** Whether to derive the post-setup baseline from the snapshot (nothing runs in the sandbox after the restore). */
  derive: boolean;
}

/** The goal's cache key, and the entry put into the sandbox when there was a usable one. */
interface CacheStart {
  cache: EnvironmentCache;
  key: string;
  imageId: string;
  entry?: EnvironmentEntry;
  /** The entry is sound but this sandbox could not take it: the setup's snapshot does not replace it. */
  keep?: boolean;
  /** The sandbox was a warm one, started from the entry before the goal came. */
  warm?: boolean;
}

/** Looks the goal's environment up and puts a usable snapshot into the sandbox; a damaged one is removed and said so. */
async function startFromCache(o: CacheStartOptions): Promise<CacheStart | undefined> {
  const facts = o.record.cache;
  if (!facts) return undefined;
  const imageId = (await o.engine.getImage(o.deps.image).inspect()).Id;
  const key = environmentKey({
    repository: facts.repository,
    environmentFile: o.record.text,
    setupScript: o.script,
    secretNames: o.input.setup?.secrets ?? [],
    dependencies: facts.dependencies,
    imageId,
    toolchain: o.node,
  });
  // Whatever an earlier attempt derived for this sandbox no longer holds until this one derives it again.
  const derivedKey = derivedBaselineKey(o.input.goalId, o.input.sandbox.containerName);
  await o.deps.store.put(derivedKey, Buffer.alloc(0));
  const found = await o.cache.lookup(key);
  if (!found.hit) {
    o.log.push(`environment: ${found.reason}; running setup`);
    return { cache: o.cache, key, imageId };
  }
  const tracked = await readTrackedPaths(o.deps.store, o.input.goalId);
  // A warm container (workers/environment-warm-pool.ts) holds this entry already: its label is the host's own.
  const warm =
    (await o.engine.getContainer(o.input.sandbox.containerId).inspect()).Config.Labels?.[WARM_ENVIRONMENT_LABEL] ===
    key;
  const started = Date.now();
  let restored: RestoredSnapshot | undefined;
  try {
    if (!warm)
      restored = await restoreSnapshot({
        sandbox: o.deps.sandbox,
        containerId: o.input.sandbox.containerId,
        dir: found.dir,
        files: found.entry.files,
        tracked,
      });
  } catch (err) {
    if (!(err instanceof SnapshotUnusableError)) throw err;
    if (err.keepEntry) {
      o.log.push(`environment: the cached snapshot could not be put in (${err.message}); running setup`);
      return { cache: o.cache, key, imageId, keep: true };
    }
    await o.cache.remove(key);
    o.log.push(`environment: the cached snapshot is unusable (${err.message}); removed it; running setup`);
    return { cache: o.cache, key, imageId };
  }
  const restoreMs = Date.now() - started;
  await o.cache.touch(found.entry);
  o.log.push(
    `environment: cached on ${found.entry.host}, ${ageText(Date.now() - found.entry.createdAt)} old (set up at ${found.entry.commit.slice(0, 12)}, key ${key.slice(0, 12)})${warm ? '; the sandbox was a warm one started from it' : ''}; setup skipped`,
    ...(restored
      ? [
          `environment: restored in ${seconds(restoreMs)} (${restored.files.map((f) => `${f.name} ${seconds(f.ms)} ${f.via === 'disk' ? "on the host into the sandbox's disk" : "through the engine's archive API"}`).join(', ')})`,
        ]
      : []),
  );
  if (o.derive && restored) o.log.push(await deriveFromSnapshot(o, restored.manifest, restored.kept, derivedKey));
  // A warm container: the pool put the whole snapshot in before the goal's copy laid the commit's files over it.
  if (o.derive && warm) {
    const manifest = await readSnapshotManifest(found.dir, found.entry.files).catch(() => undefined);
    o.log.push(await deriveFromSnapshot(o, manifest, (p) => !coveredBy(tracked, p), derivedKey, true));
  }
  return { cache: o.cache, key, imageId, entry: found.entry, ...(warm ? { warm } : {}) };
}

/** Stores the sandbox's post-setup baseline derived from the snapshot's verified manifest (recordBaseline uses it); returns the log line. */
async function deriveFromSnapshot(
  o: CacheStartOptions,
  manifest: SnapshotManifest | undefined,
  kept: (p: string) => boolean,
  key: string,
  warm = false,
): Promise<string> {
  const started = Date.now();
  if (!manifest) return 'environment: the baseline will be read from the workspace (the entry has no manifest)';
  const copied = await o.deps.store
    .get(copiedBaselineKey(o.input.goalId, o.input.sandbox.containerName))
    .then((data) => (data.length > 0 ? decodeBaseline(data) : undefined))
    .catch(() => undefined);
  if (!copied) return 'environment: the baseline will be read from the workspace (the copy recorded none)';
  const problem = warm ? warmOrderProblem(copied, manifest, kept) : undefined;
  if (problem) return `environment: the baseline will be read from the workspace (${problem})`;
  const baseline = deriveBaseline(copied, manifest, kept);
  if (typeof baseline === 'string') return `environment: the baseline will be read from the workspace (${baseline})`;
  await o.deps.store.put(key, encodeBaseline(baseline));
  return `environment: baseline from the snapshot's manifest and the copy (${baseline.size} paths, ${seconds(Date.now() - started)})`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** What saveToCache needs. */
interface CacheSaveOptions {
  deps: PhaseActivityDeps;
  cache: EnvironmentCache;
  input: RunSetupInput;
  record: EnvironmentRecord;
  key: string;
  imageId: string;
  node: string;
  secrets: string[];
  setupMs: number;
  /** The setup script that ran (part of the placement key). */
  script: string;
}

/** Snapshots the post-setup sandbox into the cache; any failure (a full disk, a secret left) only means no entry. Returns the log line. */
async function saveToCache(o: CacheSaveOptions): Promise<string> {
  const facts = o.record.cache;
  if (!facts) return 'environment: not cached (no key)';
  let tmp: string | undefined;
  try {
    tmp = await o.cache.begin();
    const files = await takeSnapshot({
      sandbox: o.deps.sandbox,
      containerId: o.input.sandbox.containerId,
      dir: tmp,
      tracked: await readTrackedPaths(o.deps.store, o.input.goalId),
      secrets: o.secrets,
    });
    const bytes = files.reduce((n, f) => n + f.bytes, 0);
    if (bytes > o.cache.maxBytes) {
      await o.cache.abandon(tmp);
      return `environment: not cached (${mb(bytes)} is over the cache's cap of ${mb(o.cache.maxBytes)}, DRYDOCK_ENV_CACHE_BYTES)`;
    }
    const now = Date.now();
    await o.cache.commit(tmp, {
      key: o.key,
      repository: facts.repository,
      commit: facts.commit,
      goalId: o.input.goalId,
      host: o.deps.host ?? 'this host',
      imageId: o.imageId,
      toolchain: o.node,
      dependencyFiles: facts.dependencyFiles,
      setupMs: o.setupMs,
      createdAt: now,
      lastUsedAt: now,
      uses: 0,
      files,
      bytes,
      placementKey: placementKey({
        repository: facts.repository,
        environmentFile: o.record.text,
        setupScript: o.script,
        secretNames: o.input.setup?.secrets ?? [],
        dependencies: facts.dependencies,
      }),
    });
    return `environment: cached (${mb(bytes)}, key ${o.key.slice(0, 12)})`;
  } catch (err) {
    if (tmp) await o.cache.abandon(tmp).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOSPC'
        ? `the cache folder ${o.cache.dir} is out of room`
        : err instanceof SnapshotUnusableError
          ? err.message
          : `could not snapshot: ${(err as Error).message}`;
    return `environment: not cached (${why})`;
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}
