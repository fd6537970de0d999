/**
 * The sandbox host's ports with drydock's metrics on them: sandbox ready time
 * (cold or warm from the pool), checkpoint bytes, pool size and host up. The
 * ports themselves are unchanged; these wrappers only measure.
 */
import { Runtime } from '@temporalio/worker';
import type { WarmContainers } from '../activities/sandbox/docker-sandbox';
import type { Sandbox } from '../activities/sandbox/sandbox';
import type { ArtifactStore } from '../activities/store/artifact-store';
import { recordHistogram } from '../activities/shared/activity-metrics';
import { CHECKPOINT_BYTES, SANDBOX_HOST_UP, SANDBOX_POOL_SIZE, SANDBOX_READY_LATENCY } from '../workflows/metric-names';

/** Ids of containers the pool handed out, so that the sandbox's create can tell warm from cold. */
export class WarmIds {
  private readonly ids = new Set<string>();
  /** Remembers an id taken from the pool. */
  add(id: string): void {
    this.ids.add(id);
  }
  /** True (once) when this id came from the pool. */
  takeBack(id: string): boolean {
    return this.ids.delete(id);
  }
}

/** The pool, remembering which ids it handed out. */
export function meteredPool(pool: WarmContainers, warm: WarmIds): WarmContainers {
  return {
    async take(spec, policy) {
      const id = await pool.take(spec, policy);
      if (id !== undefined) warm.add(id);
      return id;
    },
  };
}

/** The sandbox, recording how long create took (drydock_sandbox_ready_latency by kind and host). */
export function meteredSandbox(sandbox: Sandbox, host: string, warm: WarmIds): Sandbox {
  return new Proxy(sandbox, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property !== 'create' || typeof value !== 'function') {
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      return async (spec: Parameters<Sandbox['create']>[0]) => {
        const started = Date.now();
        const created = await target.create(spec);
        const kind = warm.takeBack(created.id) ? 'warm' : created.created ? 'cold' : 'existing';
        recordHistogram(SANDBOX_READY_LATENCY, Date.now() - started, { kind, host });
        return created;
      };
    },
  });
}

/** The store, recording the size of each checkpoint put (drydock_checkpoint_bytes). */
export function meteredStore(store: ArtifactStore): ArtifactStore {
  return {
    async put(key, data) {
      await store.put(key, data);
      if (/\/checkpoints\/\d+\.patch$/.test(key))
        recordHistogram(CHECKPOINT_BYTES, typeof data === 'string' ? Buffer.byteLength(data) : data.length);
    },
    get: (key) => store.get(key),
    has: (key) => store.has(key),
    list: (prefix) => store.list(prefix),
  };
}

/** Reports this host up and its pool size every few seconds until stop() (the Runtime's meter, outside activities). */
export function reportHostGauges(host: string, poolSize: () => number, everyMs = 5000): { stop(): void } {
  const meter = Runtime.instance().metricMeter;
  const up = meter.createGauge(SANDBOX_HOST_UP);
  const pool = meter.createGauge(SANDBOX_POOL_SIZE);
  const report = () => {
    up.set(1, { host });
    pool.set(poolSize(), { host });
  };
  report();
  const timer = setInterval(report, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      up.set(0, { host });
    },
  };
}
