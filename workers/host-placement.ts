/**
 * Where a new sandbox goes: the placement rule each sandbox host applies to
 * itself before it polls the shared queue (workers/host-slots.ts). A host
 * takes a new sandbox only while it is not drained, has room under its
 * capacity, and no live peer with room is less loaded; so Temporal's matching,
 * which hands a task to whichever poller waits, only ever sees the least
 * loaded hosts waiting. When every live host is full, the hosts that are not
 * drained poll anyway: a goal's verification (verifyChange, on the same queue)
 * must find a host to finish and free its sandbox; a new sandbox that lands on
 * a full host then waits there for room (host-reporter.ts waitForRoom).
 */
import type { SandboxHostReport } from '../workflows/sandbox-hosts';

/** A report older than this is a host that is gone: it is left out of the comparison. */
export const REPORT_FRESH_MS = 10_000;

/** A host without DRYDOCK_SANDBOX_CAPACITY has no limit; for the comparison its load is counted against this. */
export const NOMINAL_CAPACITY = 100;

/** A host's load for placement: its sandboxes (running and being provisioned) and its capacity. */
export interface HostLoad {
  running: number;
  /** null: no limit. */
  capacity: number | null;
  drained: boolean;
}

/** The placement answer: may this host take a sandbox now, and why not. */
export interface PlacementDecision {
  ok: boolean;
  reason: string;
}

/** The share of a host's capacity in use (the load hosts are compared by). */
export function loadShare(h: HostLoad): number {
  return h.running / (h.capacity ?? NOMINAL_CAPACITY);
}

/** Whether a host has room for one more sandbox. */
export function hasRoom(h: HostLoad): boolean {
  return !h.drained && (h.capacity === null || h.running < h.capacity);
}

/** The peers that count: reports fresh at `now`, of hosts other than `self`, not stopped, engine answering. */
export function livePeers(self: string, reports: SandboxHostReport[], now: number): SandboxHostReport[] {
  return reports.filter(
    (r) => r.host !== self && !r.stopped && r.engine === 'ok' && now - r.updatedAt <= REPORT_FRESH_MS,
  );
}

/** Least loaded first: may `self` take a new sandbox, given its peers' loads? Ties go to every tied host. */
export function mayTakeSandbox(self: HostLoad, peers: HostLoad[]): PlacementDecision {
  if (self.drained) return { ok: false, reason: 'drained' };
  if (!hasRoom(self)) {
    const roomy = peers.filter(hasRoom).length;
    if (roomy > 0) return { ok: false, reason: `full (${self.running}/${self.capacity}); ${roomy} host(s) have room` };
    return { ok: true, reason: 'every host is full: verifications must run; new sandboxes wait for room' };
  }
  const share = loadShare(self);
  const lighter = peers.filter((p) => hasRoom(p) && loadShare(p) < share);
  if (lighter.length > 0) return { ok: false, reason: `${lighter.length} less loaded host(s) have room` };
  return { ok: true, reason: 'least loaded with room' };
}
