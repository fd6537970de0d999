/**
 * The sandbox hosts' registry in the artifact store every worker shares (the
 * store a checkpoint taken on one host is restored from on another):
 * `hosts/<id>/report.json`, written by the host's sandbox worker every few
 * seconds and at once when its load changes, and `hosts/<id>/drain.json`,
 * written by `drydock hosts drain|undrain` through the agent worker.
 */
import { ArtifactNotFoundError } from '../activities/store/errors';
import type { ArtifactStore } from '../activities/store/artifact-store';
import type { SandboxHostActivities, SandboxHostReport, SandboxHostRow } from '../workflows/sandbox-hosts';
import { REPORT_FRESH_MS } from './host-placement';

const PREFIX = 'hosts';

/** The key of a host's report. */
export function hostReportKey(host: string): string {
  return `${PREFIX}/${host}/report.json`;
}

/** The key of a host's drain mark. */
export function hostDrainKey(host: string): string {
  return `${PREFIX}/${host}/drain.json`;
}

/** Every host's last report (unreadable ones left out). */
export async function readHostReports(store: ArtifactStore): Promise<SandboxHostReport[]> {
  const keys = (await store.list(PREFIX)).filter((k) => k.endsWith('/report.json'));
  const reports = await Promise.all(keys.map((k) => readJson<SandboxHostReport>(store, k)));
  return reports.filter((r): r is SandboxHostReport => r !== undefined && typeof r.host === 'string');
}

/** One host's last report, if it ever wrote one. */
export function readHostReport(store: ArtifactStore, host: string): Promise<SandboxHostReport | undefined> {
  return readJson<SandboxHostReport>(store, hostReportKey(host));
}

/** Writes a host's report. */
export async function writeHostReport(store: ArtifactStore, report: SandboxHostReport): Promise<void> {
  await store.put(hostReportKey(report.host), JSON.stringify(report));
}

/** Whether a host is marked drained. */
export async function isHostDrained(store: ArtifactStore, host: string): Promise<boolean> {
  return (await readJson<{ drained?: boolean }>(store, hostDrainKey(host)))?.drained === true;
}

/** Marks a host drained or not. */
export async function setHostDrained(store: ArtifactStore, host: string, drained: boolean, now = Date.now()) {
  await store.put(hostDrainKey(host), JSON.stringify({ drained, at: now }));
}

/** A report as `drydock hosts` shows it: its age and the host's health. */
export function hostRow(report: SandboxHostReport, now: number): SandboxHostRow {
  const ageSeconds = Math.max(0, Math.round((now - report.updatedAt) / 1000));
  const health = report.stopped
    ? 'stopped'
    : now - report.updatedAt > REPORT_FRESH_MS
      ? 'silent'
      : report.engine === 'ok'
        ? 'up'
        : `engine down: ${report.engine}`;
  return { ...report, ageSeconds, health };
}

/** The agent worker's activities behind `drydock hosts` (workflows/sandbox-hosts.ts). */
export function createSandboxHostActivities(store: ArtifactStore): SandboxHostActivities {
  return {
    async listSandboxHosts() {
      const now = Date.now();
      const reports = await readHostReports(store);
      // The drain mark is the truth; a report written before it landed does not know it yet.
      const drained = await Promise.all(reports.map((r) => isHostDrained(store, r.host)));
      return reports
        .map((r, i) => hostRow({ ...r, drained: drained[i] ?? r.drained }, now))
        .sort((a, b) => a.host.localeCompare(b.host));
    },
    async setSandboxHostDrain({ host, drained }) {
      await setHostDrained(store, host, drained);
    },
  };
}

async function readJson<T>(store: ArtifactStore, key: string): Promise<T | undefined> {
  try {
    return JSON.parse((await store.get(key)).toString('utf8')) as T;
  } catch (err) {
    if (err instanceof ArtifactNotFoundError || err instanceof SyntaxError) return undefined;
    throw err;
  }
}
