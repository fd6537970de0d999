/**
 * The shared sandbox queue's slots on one host: a custom slot supplier (the
 * SDK asks it before every poll). It hands out one waiting poll at a time, and
 * only while `admit` says this host may take a new sandbox (host-placement.ts):
 * a drained, full or more loaded host does not poll `drydock-sandbox` at all,
 * so Temporal's matching gives the task to a host that waits for it.
 */
import type { ActivitySlotInfo, CustomSlotSupplier, SlotPermit } from '@temporalio/worker';

/** What callers pass to HostSlots. */
export interface HostSlotsOptions {
  /** Whether this host may take another sandbox, given the provisions under way on it now. */
  admit(provisioning: number): Promise<boolean>;
  /** Called when a provision starts or ends here (the host reports its load at once). */
  onChange?: () => void;
  /** How often a refused reservation asks again (ms). */
  checkEveryMs?: number;
  /** Activities running at once on the shared queue, at most. */
  maxSlots?: number;
}

/** The activity that places a sandbox on a host; what the placement counts as load under way. */
const PLACING_ACTIVITY = 'provisionSandbox';

interface Permit extends SlotPermit {
  id: number;
}

/** The custom slot supplier of a host's shared-queue worker. */
export class HostSlots implements CustomSlotSupplier<ActivitySlotInfo> {
  readonly type = 'custom';
  private next = 0;
  /** Permits handed out and not yet used (a poll waiting). */
  private readonly waiting = new Set<number>();
  /** Permits in use, and whether each places a sandbox. */
  private readonly used = new Map<number, boolean>();
  private checking = false;

  constructor(private readonly o: HostSlotsOptions) {}

  /** Provisions running on this host now. */
  get provisioning(): number {
    return [...this.used.values()].filter(Boolean).length;
  }

  async reserveSlot(_ctx: unknown, abortSignal: AbortSignal): Promise<SlotPermit> {
    for (;;) {
      if (abortSignal.aborted) throw abortSignal.reason;
      if (!this.checking && this.waiting.size === 0 && this.used.size < (this.o.maxSlots ?? 100)) {
        this.checking = true;
        let ok = false;
        try {
          ok = await this.o.admit(this.provisioning);
        } catch {
          ok = false;
        } finally {
          this.checking = false;
        }
        if (abortSignal.aborted) throw abortSignal.reason;
        if (ok) {
          const permit: Permit = { id: ++this.next };
          this.waiting.add(permit.id);
          return permit;
        }
      }
      await sleep(this.o.checkEveryMs ?? 500, abortSignal);
    }
  }

  /** Eager tasks are not placed by load: none. */
  tryReserveSlot(): SlotPermit | null {
    return null;
  }

  markSlotUsed(ctx: { slotInfo: ActivitySlotInfo; permit: SlotPermit }): void {
    const id = (ctx.permit as Permit).id;
    this.waiting.delete(id);
    const placing = ctx.slotInfo.activityType === PLACING_ACTIVITY;
    this.used.set(id, placing);
    if (placing) this.o.onChange?.();
  }

  releaseSlot(ctx: { slotInfo?: ActivitySlotInfo; permit: SlotPermit }): void {
    const id = (ctx.permit as Permit).id;
    this.waiting.delete(id);
    const placing = this.used.get(id);
    this.used.delete(id);
    if (placing) this.o.onChange?.();
  }
}

function sleep(ms: number, abortSignal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      abortSignal.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(abortSignal.reason);
    }
    abortSignal.addEventListener('abort', aborted, { once: true });
  });
}
