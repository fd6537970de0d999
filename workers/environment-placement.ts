/**
 * Which host a goal's sandbox should go to for its cached environment: the
 * hosts advertise their cache entries in their reports (host-reporter.ts);
 * a goal whose placement key one of them holds prefers that host while it is
 * alive (a fresh report, engine answering, not stopped), not drained, and has
 * room. When no such host is usable the goal goes to the shared queue (least
 * loaded first, host-placement.ts) and is built there; the hosts passed over
 * are named with the reason, for the goal's status.
 */
import type {
  AdvertisedEnvironment,
  EnvironmentPlacement,
  PassedOverHost,
  SandboxHostReport,
} from '../workflows/sandbox-hosts';
import type { ArtifactStore } from '../activities/store/artifact-store';
import type { EnvironmentCache } from '../activities/environment/environment-cache';
import { hasRoom, loadShare, REPORT_FRESH_MS } from './host-placement';
import { isHostDrained, readHostReports } from './host-registry';

/** Why a host holding the environment cannot take the goal's sandbox now; undefined when it can. */
export function unusableBecause(report: SandboxHostReport, drained: boolean, now: number): string | undefined {
  if (report.stopped) return 'stopped';
  const age = now - report.updatedAt;
  if (age > REPORT_FRESH_MS) return `silent for ${Math.round(age / 1000)} s`;
  if (report.engine !== 'ok') return `engine down: ${report.engine}`;
  if (drained || report.drained) return 'drained';
  if (!hasRoom({ running: report.running, capacity: report.capacity, drained: false }))
    return `full (${report.running}/${report.capacity})`;
  return undefined;
}

/**
 * Chooses among the hosts whose report advertises `key`: the usable ones, the
 * least loaded first (then the newest entry, then the host id, so that every
 * caller answers the same). `drained` holds the hosts whose drain mark is set
 * (the mark is the truth; a report may not know it yet).
 */
export function chooseEnvironmentHost(
  key: string,
  reports: readonly SandboxHostReport[],
  drained: ReadonlySet<string>,
  now: number,
): EnvironmentPlacement {
  const holders: { report: SandboxHostReport; entry: AdvertisedEnvironment }[] = [];
  for (const report of reports) {
    const entry = (report.environments ?? []).find((e) => e.key === key);
    if (entry) holders.push({ report, entry });
  }
  const passedOver: PassedOverHost[] = [];
  const usable: typeof holders = [];
  for (const h of [...holders].sort((a, b) => a.report.host.localeCompare(b.report.host))) {
    const why = unusableBecause(h.report, drained.has(h.report.host), now);
    if (why) passedOver.push({ host: h.report.host, reason: why });
    else usable.push(h);
  }
  usable.sort(
    (a, b) =>
      loadShare(a.report) - loadShare(b.report) ||
      b.entry.createdAt - a.entry.createdAt ||
      a.report.host.localeCompare(b.report.host),
  );
  const best = usable[0];
  return best ? { host: best.report.host, createdAt: best.entry.createdAt, passedOver } : { passedOver };
}

/** Reads every host's report and drain mark from the shared store and chooses (the sandbox worker's placeEnvironment). */
export async function placeEnvironment(store: ArtifactStore, key: string): Promise<EnvironmentPlacement> {
  const reports = await readHostReports(store);
  const marks = await Promise.all(reports.map((r) => isHostDrained(store, r.host)));
  const drained = new Set(reports.filter((_, i) => marks[i]).map((r) => r.host));
  return chooseEnvironmentHost(key, reports, drained, Date.now());
}

/** The entries a host advertises: whole, not expired, made with its current image, with a placement key. */
export async function advertisedEnvironments(
  cache: EnvironmentCache,
  imageId: () => Promise<string>,
  now = Date.now(),
): Promise<AdvertisedEnvironment[]> {
  const entries = await cache.list();
  if (entries.length === 0) return [];
  const image = await imageId();
  return entries
    .filter((e) => e.placementKey && e.imageId === image && now - e.createdAt <= cache.maxAgeMs)
    .map((e) => ({ key: e.placementKey!, repository: e.repository, bytes: e.bytes, createdAt: e.createdAt }));
}
