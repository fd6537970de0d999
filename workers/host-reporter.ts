/**
 * One sandbox host's side of the registry (host-registry.ts): counts the
 * sandboxes on its Docker engine, reads its drain mark, writes its report every
 * few seconds (and at once when a provision starts or ends), answers the
 * placement question for its shared-queue slots (host-slots.ts), and refuses
 * to start under a host id another live worker already reports under.
 */
import { randomBytes } from 'crypto';
import * as os from 'os';
import type Dockerode from 'dockerode';
import type { ArtifactStore } from '../activities/store/artifact-store';
import { MANAGED_LABEL } from '../activities/sandbox/docker-sandbox';
import { POOL_NAME_PREFIX } from '../activities/sandbox/sandbox-pool';
import type { AdvertisedEnvironment, SandboxHostReport } from '../workflows/sandbox-hosts';
import { hasRoom, livePeers, mayTakeSandbox, REPORT_FRESH_MS } from './host-placement';
import { isHostDrained, readHostReport, readHostReports, writeHostReport } from './host-registry';
import { ConfigError } from './config';
import { failure } from '../workflows/failures';

/** What callers pass to HostReporter. */
export interface HostReporterOptions {
  host: string;
  docker: Dockerode;
  store: ArtifactStore;
  /** DRYDOCK_SANDBOX_CAPACITY; null: no limit. */
  capacity: number | null;
  /** Provisions under way on this host now (the slots' count). */
  provisioning?: () => number;
  /** Milliseconds between reports. */
  everyMs?: number;
  /** Where refusals and engine trouble are said. */
  warn?: (message: string) => void;
  /** The environments cached on this host, advertised in its report for placement (environment-placement.ts). */
  environments?: () => Promise<AdvertisedEnvironment[]>;
}

/** Reports one host's load and health, and decides whether it takes a new sandbox. */
export class HostReporter {
  /** This worker process, as its reports name it. */
  readonly identity = `${process.pid}@${os.hostname()}#${randomBytes(3).toString('hex')}`;
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private lastEngine = 'ok';

  constructor(private readonly o: HostReporterOptions) {}

  /** Refuses when another worker reports under this host id and keeps doing so (a second look a few seconds later). */
  async checkUnique(): Promise<void> {
    const first = await readHostReport(this.o.store, this.o.host);
    if (!first || first.stopped || Date.now() - first.updatedAt > REPORT_FRESH_MS) return;
    if (isDeadHere(first.identity)) return;
    await new Promise((r) => setTimeout(r, 2 * this.everyMs + 500));
    const second = await readHostReport(this.o.store, this.o.host);
    if (second && !second.stopped && second.identity !== this.identity && second.updatedAt > first.updatedAt) {
      throw new ConfigError([
        `DRYDOCK_HOST_ID=${this.o.host} is in use by another sandbox worker (${second.identity}, which reported ${Math.round(
          (Date.now() - second.updatedAt) / 1000,
        )} s ago); give each sandbox host its own DRYDOCK_HOST_ID`,
      ]);
    }
  }

  /** Reports now and then every few seconds, until stop(). */
  async start(): Promise<void> {
    await this.report();
    this.timer = setInterval(() => void this.report().catch(() => undefined), this.everyMs);
    this.timer.unref();
  }

  /** Stops reporting and writes a last report that says so. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.writing.catch(() => undefined);
    await this.report(true).catch(() => undefined);
  }

  /** Writes the report now (queued behind one being written). */
  report(stopped = false): Promise<void> {
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => writeHostReport(this.o.store, await this.current(stopped)));
    return this.writing;
  }

  /**
   * Waits, before a provision, until this host has room for it (a provision reaches a full host only when every
   * host was full). It refuses with a retryable SandboxHostFull, so that Temporal provisions again on a host that
   * polls, when this host is drained, when another live host has room, or when it is still full after `maxMs`.
   */
  async waitForRoom(goalId: string, heartbeat: () => void = () => undefined, maxMs = 240_000): Promise<void> {
    const until = Date.now() + maxMs;
    for (;;) {
      if (await isHostDrained(this.o.store, this.o.host))
        throw failure('SandboxHostFull', `sandbox host ${this.o.host} is drained; the sandbox goes to another host`);
      // This provision is one of those under way; a container it made on an earlier attempt is not counted.
      const others = await this.countSandboxes(goalId);
      const load = (typeof others === 'number' ? others : 0) + Math.max(0, (this.o.provisioning?.() ?? 1) - 1);
      if (this.o.capacity === null || load < this.o.capacity) return;
      const roomy = livePeers(this.o.host, await readHostReports(this.o.store), Date.now()).filter(hasRoom);
      if (roomy.length > 0)
        throw failure(
          'SandboxHostFull',
          `sandbox host ${this.o.host} is full (${load}/${this.o.capacity}); ${roomy.map((r) => r.host).join(', ')} has room`,
        );
      if (Date.now() > until)
        throw failure('SandboxHostFull', `sandbox host ${this.o.host} stayed full (${load}/${this.o.capacity})`);
      heartbeat();
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** Whether this host may take a new sandbox now (host-placement.ts), with `provisioning` under way here. */
  async admit(provisioning: number): Promise<boolean> {
    const peers = livePeers(this.o.host, await readHostReports(this.o.store), Date.now());
    // One host without a limit (the one-machine default) decides without counting its containers.
    if (peers.length === 0 && this.o.capacity === null) return !(await isHostDrained(this.o.store, this.o.host));
    const self = await this.current(false, provisioning);
    if (self.engine !== 'ok') return false;
    return mayTakeSandbox(self, peers).ok;
  }

  /** This host's report as of now. */
  private async current(stopped: boolean, provisioning = this.o.provisioning?.() ?? 0): Promise<SandboxHostReport> {
    const [count, drained, environments] = await Promise.all([
      this.countSandboxes(),
      isHostDrained(this.o.store, this.o.host),
      stopped ? Promise.resolve([]) : (this.o.environments?.().catch(() => []) ?? Promise.resolve([])),
    ]);
    return {
      host: this.o.host,
      identity: this.identity,
      running: (typeof count === 'number' ? count : 0) + provisioning,
      capacity: this.o.capacity,
      drained,
      engine: typeof count === 'number' ? 'ok' : count.error,
      updatedAt: Date.now(),
      ...(environments.length > 0 ? { environments } : {}),
      ...(stopped ? { stopped: true } : {}),
    };
  }

  /** Sandboxes (goal and verify containers, not the warm pool's) running on this host's engine; or why it does not answer. */
  private async countSandboxes(exceptGoal?: string): Promise<number | { error: string }> {
    try {
      const running = await this.o.docker.listContainers({
        filters: { label: [`${MANAGED_LABEL}=true`, `drydock.host=${this.o.host}`], status: ['running', 'created'] },
      });
      if (this.lastEngine !== 'ok') this.o.warn?.(`drydock: the Docker engine of host ${this.o.host} answers again`);
      this.lastEngine = 'ok';
      return running.filter(
        (c) =>
          !(c.Names[0] ?? '').replace(/^\//, '').startsWith(POOL_NAME_PREFIX) &&
          (exceptGoal === undefined || c.Labels['drydock.goal'] !== exceptGoal),
      ).length;
    } catch (err) {
      const error = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'no answer';
      if (this.lastEngine !== error)
        this.o.warn?.(`drydock: the Docker engine of host ${this.o.host} does not answer: ${error}`);
      this.lastEngine = error;
      return { error };
    }
  }

  private get everyMs(): number {
    return this.o.everyMs ?? 2000;
  }
}

/** Whether an identity names a process of this machine that no longer runs (a worker killed a moment ago). */
function isDeadHere(identity: string): boolean {
  const m = /^(\d+)@([^#]+)#/.exec(identity);
  if (!m || m[2] !== os.hostname() || Number(m[1]) === process.pid) return false;
  try {
    process.kill(Number(m[1]), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
