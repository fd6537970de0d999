/**
 * The agent phase's internet use as a pull request tells it: the egress
 * proxy's request logs (JSON lines the sandbox worker wrote on the host)
 * summarised per host: requests, refusals, bytes. A host name that is not a
 * plain name or address is shown as such, never as written.
 */

/** One host's share of the requests. */
export interface EgressHostSummary {
  host: string;
  requests: number;
  refused: number;
  bytesIn: number;
  bytesOut: number;
}

/** The requests of a goal's agent phase through its egress proxy. */
export interface EgressSummary {
  requests: number;
  refused: number;
  /** Busiest hosts first. */
  hosts: EgressHostSummary[];
  /** Store keys of the full logs. */
  logs: string[];
}

/** A host as the log has it, safe to show. */
function shownHost(host: unknown): string {
  return typeof host === 'string' && /^[A-Za-z0-9.:[\]-]{1,253}$/.test(host) ? host.toLowerCase() : '(not a host name)';
}

/** Sums the logs' lines (unreadable lines are skipped). */
export function summarizeEgress(logs: Array<{ key: string; text: string }>): EgressSummary {
  const hosts = new Map<string, EgressHostSummary>();
  let requests = 0;
  let refused = 0;
  for (const log of logs) {
    for (const line of log.text.split('\n')) {
      if (!line.trim()) continue;
      let entry: { host?: unknown; status?: unknown; bytesIn?: unknown; bytesOut?: unknown };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue;
      }
      const host = shownHost(entry.host);
      const h = hosts.get(host) ?? { host, requests: 0, refused: 0, bytesIn: 0, bytesOut: 0 };
      h.requests++;
      requests++;
      if (entry.status === 403 || entry.status === 400) {
        h.refused++;
        refused++;
      }
      h.bytesIn += typeof entry.bytesIn === 'number' ? entry.bytesIn : 0;
      h.bytesOut += typeof entry.bytesOut === 'number' ? entry.bytesOut : 0;
      hosts.set(host, h);
    }
  }
  return {
    requests,
    refused,
    hosts: [...hosts.values()].sort((a, b) => b.requests - a.requests || a.host.localeCompare(b.host)),
    logs: logs.map((l) => l.key),
  };
}

/** Bytes for people. */
function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

/** The PR body's section: one line of totals and a table of the busiest hosts (at most 10). */
export function egressSection(s: EgressSummary): string[] {
  const shown = s.hosts.slice(0, 10);
  return [
    '## Internet (agent phase)',
    '',
    `Through drydock's egress proxy (allowlist): ${s.requests} request${s.requests === 1 ? '' : 's'}, ${s.refused} refused by the policy. Full log: ${s.logs.map((k) => `\`${k}\``).join(', ')}.`,
    '',
    ...(shown.length > 0
      ? [
          '| host | requests | refused | received | sent |',
          '| --- | ---: | ---: | ---: | ---: |',
          ...shown.map(
            (h) =>
              `| \`${h.host}\` | ${h.requests} | ${h.refused} | ${bytesText(h.bytesIn)} | ${bytesText(h.bytesOut)} |`,
          ),
          ...(s.hosts.length > shown.length ? [`| … ${s.hosts.length - shown.length} more hosts | | | | |`] : []),
          '',
        ]
      : []),
  ];
}
