/**
 * Observability end to end (issue 19, item 5): a worker with
 * DRYDOCK_METRICS_ADDRESS runs one goal; its /metrics then holds every metric
 * the Grafana dashboard (deploy/grafana/drydock.json) charts, with the labels
 * its panels group by, and the dashboard charts every drydock metric.
 */
import { readFileSync } from 'fs';
import { createServer, type AddressInfo } from 'net';
import * as path from 'path';
import { AGENT_QUEUE } from '../../workflows/queues';
import { DRYDOCK_METRIC_NAMES } from '../../workflows/metric-names';
import type { GoalInput, GoalResult } from '../../workflows/types';
import { installRuntime } from '../../workers/runtime';
import { loadScript } from '../../scripted-model';
import { useAgentStack } from '../support/agent-stack';
import { fixturePath, makeGitRepo } from '../support/git-fixtures';

const RUN = Math.random().toString(36).slice(2, 8);
const DASHBOARD = path.join(__dirname, '..', '..', 'deploy', 'grafana', 'drydock.json');
let metricsAddress = '';

/** A free port on 127.0.0.1 (listening once, then closed). */
function freePortSync(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

// Before the stack's own beforeAll (hooks run in the order they are registered).
beforeAll(async () => {
  metricsAddress = `127.0.0.1:${await freePortSync()}`;
});

const stack = useAgentStack({
  vars: { DRYDOCK_MODEL: 'scripted', DRYDOCK_POOL_SIZE: '1' },
  beforeStart: () => {
    // The Runtime is per process: installed here, as the worker entry points install it, before the dev server's.
    installRuntime({ logLevel: 'WARN', logFormat: 'text', metricsAddress });
  },
});

/** The metric names a PromQL expression reads (histogram series named by their family). */
function metricsOf(expr: string): string[] {
  return [...expr.matchAll(/\b((?:drydock|temporal)_[a-z0-9_]+)/g)].map((m) =>
    (m[1] ?? '').replace(/_(bucket|sum|count)$/, ''),
  );
}

test('after one goal, /metrics holds every metric of the dashboard, with the labels it groups by', async () => {
  const repo = makeGitRepo('demo-repo');
  stack.model.push(...loadScript(fixturePath('scripts/demo.json')));
  const input: GoalInput = {
    repository: repo,
    goal: 'Make the failing test in test/math.test.js pass',
    model: { name: 'scripted' },
    policy: { prices: { scripted: { inputPerMillionUsd: 2, outputPerMillionUsd: 8 } } },
  };
  const result: GoalResult = await stack.env.client.workflow.execute('codingAgent', {
    taskQueue: AGENT_QUEUE,
    workflowId: `metrics-${RUN}`,
    args: [input],
  });
  expect(result.status).toBe('succeeded');

  // The exporter publishes what was recorded; gauges are reported every few seconds.
  let text = '';
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
    if (/drydock_goals\{[^}]*outcome="succeeded"/.test(text) && /drydock_sandbox_pool_size\{/.test(text)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const families = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));

  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  const charted = new Set<string>();
  for (const panel of dashboard.panels) {
    expect(panel.targets.length).toBeGreaterThan(0);
    for (const target of panel.targets) {
      const names = metricsOf(target.expr);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) {
        charted.add(name);
        expect({ panel: panel.title, metric: name, scraped: families.has(name) }).toEqual({
          panel: panel.title,
          metric: name,
          scraped: true,
        });
      }
    }
  }
  // Every drydock metric is charted: the dashboard and the code use the same names.
  expect(DRYDOCK_METRIC_NAMES.filter((n) => !charted.has(n))).toEqual([]);

  // The series carry what the panels group by.
  expect(text).toMatch(/^drydock_goals\{[^}]*outcome="succeeded"[^}]*\} 1$/m);
  expect(text).toMatch(/^drydock_model_tokens\{[^}]*kind="prompt"[^}]*model="scripted"[^}]*\} [1-9]/m);
  expect(text).toMatch(/^drydock_model_cost_usd_sum\{[^}]*model="scripted"[^}]*\} 0\.\d*[1-9]/m);
  expect(text).toMatch(/^drydock_model_call_latency_count\{[^}]*model="scripted"[^}]*outcome="ok"[^}]*\} [1-9]/m);
  expect(text).toMatch(/^drydock_tool_latency_count\{[^}]*tool="apply_patch"[^}]*\} [1-9]/m);
  expect(text).toMatch(/^drydock_sandbox_ready_latency_count\{[^}]*kind="(warm|cold)"[^}]*\} [1-9]/m);
  expect(text).toMatch(/^drydock_checkpoint_bytes_count\{?[^ ]*\} [1-9]|^drydock_checkpoint_bytes_count [1-9]/m);
  expect(text).toMatch(/^drydock_sandbox_host_up\{[^}]*host="testhost"[^}]*\} 1$/m);
}, 180_000);
