/**
 * `drydock hosts`: the sandbox hosts with their load (sandboxes running /
 * capacity) and health, and `drydock hosts drain|undrain <host>`. Runs the
 * sandboxHosts workflow on the agent queue (workflows/sandbox-hosts.ts); the
 * hosts' reports come from the store their workers share.
 */
import { randomUUID } from 'crypto';
import { AGENT_QUEUE } from '../workflows/queues';
import type { SandboxHostRow, SandboxHostsInput, SandboxHostsResult } from '../workflows/sandbox-hosts';
import type { ClientConfig } from './config';
import { connectClient } from './connect';
import { UnreachableError, UsageError } from './errors';
import { printJson, printText } from './output';
import { noWorkerMessage, pollersOf } from './pollers';

/** What `drydock hosts` does: list, or drain / undrain one host first. */
export interface HostsOptions {
  drain?: { host: string; drained: boolean };
  json: boolean;
}

/** Lists the sandbox hosts (after draining or undraining one when asked); exit code 0. */
export async function hosts(config: ClientConfig, o: HostsOptions): Promise<number> {
  const { client, close } = await connectClient(config);
  try {
    if ((await pollersOf(client, config.namespace, AGENT_QUEUE, 'workflow')).length === 0)
      throw new UnreachableError(noWorkerMessage());
    const input: SandboxHostsInput = o.drain ? { drain: o.drain } : {};
    const result: SandboxHostsResult = await client.workflow.execute('sandboxHosts', {
      taskQueue: AGENT_QUEUE,
      workflowId: `hosts-${randomUUID().slice(0, 8)}`,
      args: [input],
      workflowExecutionTimeout: '2m',
    });
    if (result.unknownHost !== undefined) {
      const known = result.hosts.map((h) => h.host).join(', ') || 'none has reported yet';
      throw new UsageError(`no sandbox host ${JSON.stringify(result.unknownHost)} has reported; hosts: ${known}`);
    }
    if (o.json) printJson(result.hosts);
    else {
      if (o.drain)
        printText(
          o.drain.drained
            ? `${o.drain.host} drained: it takes no new sandbox; the goals running there finish there\n`
            : `${o.drain.host} undrained: it takes new sandboxes again\n`,
        );
      printText(hostsTable(result.hosts));
    }
    return 0;
  } finally {
    await close();
  }
}

/** The hosts as an aligned table: host, load, health, whether it takes new sandboxes, last report. */
export function hostsTable(rows: SandboxHostRow[]): string {
  if (rows.length === 0) return 'no sandbox host has reported yet (start one with `npm run worker:sandbox`)\n';
  const lines = [
    ['HOST', 'LOAD', 'HEALTH', 'PLACEMENT', 'REPORTED'],
    ...rows.map((h) => [
      h.host,
      `${h.running}/${h.capacity ?? 'no limit'}`,
      h.health,
      placementOf(h),
      `${h.ageSeconds} s ago`,
    ]),
  ];
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return (
    lines
      .map((l) =>
        l
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** Whether a host takes new sandboxes, as a word. */
function placementOf(h: SandboxHostRow): string {
  if (h.drained) return h.running > 0 ? `draining (${h.running} running)` : 'drained';
  if (h.health !== 'up') return '-';
  if (h.capacity !== null && h.running >= h.capacity) return 'full';
  return 'open';
}
