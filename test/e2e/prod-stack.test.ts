/**
 * The production-shaped stack (scripts/prod-stack, issue 19 item 2): the
 * Temporal server built from its Go module on PostgreSQL, 4 history shards,
 * mTLS, drydock's search attributes on SQL visibility; the demo goal runs
 * through it with drydock's workers connected by the stack's temporal.toml
 * profile. Opt-in (DRYDOCK_PROD_STACK_E2E=1): the first `up` builds the server
 * with go install (about 10 minutes on 2 cores); later runs take about a minute.
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../workers/config';
import { installRuntime } from '../../workers/runtime';
import { runWorkersInProcess, type InProcessWorkers } from '../../workers/create-workers';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalResult } from '../../workflows/types';
import { startScriptedModelServer, loadScript, type ScriptedModelServer } from '../../scripted-model';
import { runCli } from '../support/cli';
import { prodStack, profileOf } from '../support/prod-stack';
import { makeTestCertificates } from '../support/test-certificates';
import { containersOfGoal } from '../support/docker';
import { fixturePath, makeGitRepo, removeGitRepos } from '../support/git-fixtures';
import { mkdtempSync, rmSync } from 'fs';
import * as os from 'os';

const ROOT = path.join(__dirname, '..', '..');
const RUN = Math.random().toString(36).slice(2, 8);
const enabled = process.env.DRYDOCK_PROD_STACK_E2E === '1';
const suite = enabled ? describe : describe.skip;

suite('the production-shaped stack', () => {
  let profile: Record<string, string> = {};
  let nativeConnection: NativeConnection;
  let connection: Connection;
  let client: Client;
  let workers: InProcessWorkers;
  let model: ScriptedModelServer;
  let dataDir: string;

  beforeAll(async () => {
    installRuntime({ logLevel: 'WARN', logFormat: 'text' });
    const up = await prodStack('up');
    expect(up.stderr).toMatch(/mTLS, 4 history shards, PostgreSQL/);
    expect(up.stderr).toMatch(/Temporal UI on http:\/\/localhost:18233/);
    expect(up.code).toBe(0);
    profile = profileOf(up.stdout);
    model = await startScriptedModelServer({ script: [] });
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'drydock-prod-'));
    const config = loadConfig({
      ...profile,
      HOME: process.env.HOME,
      DRYDOCK_DATA_DIR: dataDir,
      DRYDOCK_HOST_ID: 'prodhost',
      DRYDOCK_MODEL: 'scripted',
      OPENAI_BASE_URL: model.url,
      OPENAI_API_KEY: 'scripted-key',
    });
    expect(config.temporal.tls).toBe('mtls');
    nativeConnection = await NativeConnection.connect(config.temporal.connectOptions);
    connection = await Connection.connect(config.temporal.connectOptions);
    client = new Client({ connection, namespace: config.namespace });
    workers = await runWorkersInProcess(nativeConnection, config);
  }, 35 * 60_000);

  afterAll(async () => {
    await workers?.stop();
    await connection?.close();
    await nativeConnection?.close();
    await model?.close();
    removeGitRepos();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    await prodStack('down');
  }, 120_000);

  test('4 history shards, and doctor names the profile and mTLS', async () => {
    const info = await client.workflowService.getClusterInfo({});
    expect(info.historyShardCount).toBe(4);
    expect(info.persistenceStore).toMatch(/postgres/);
    expect(info.visibilityStore).toMatch(/postgres/);
    const doctor = await runCli(['doctor', '--json'], profile);
    const temporal = (
      JSON.parse(doctor.stdout) as { checks: { name: string; ok: boolean; detail: string }[] }
    ).checks.find((c) => c.name === 'Temporal');
    expect(temporal).toMatchObject({ ok: true });
    expect(temporal?.detail).toMatch(/profile prod .*mTLS/);
  });

  test('the Temporal UI answers against the stack (its server built from the Go module, over mTLS)', async () => {
    const answer = await fetch('http://127.0.0.1:18233/api/v1/namespaces/default');
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { namespaceInfo?: { name?: string } };
    expect(body.namespaceInfo?.name).toBe('default');
  });

  test('a client certificate of another CA is refused with one line, from the CLI and from a worker', async () => {
    const rogue = makeTestCertificates();
    try {
      const vars = {
        ...profile,
        TEMPORAL_TLS_CLIENT_CERT_PATH: rogue.rogueClientCert,
        TEMPORAL_TLS_CLIENT_KEY_PATH: rogue.rogueClientKey,
      };
      const cli = await runCli(['list'], vars);
      expect(cli.code).toBe(3); // unreachable: the CLI's exit code for a refused handshake
      expect(cli.stderr.trim().split('\n')).toHaveLength(1);
      expect(cli.stderr).toMatch(
        /TLS handshake with Temporal at 127\.0\.0\.1:\d+ failed: check the client certificate/,
      );
      const worker = await new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [path.join(ROOT, 'dist', 'workers', 'agent-worker.js')],
          { env: { ...process.env, ...vars }, timeout: 60_000 },
          (err, _stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stderr }),
        ),
      );
      expect(worker.code).toBe(1);
      expect(worker.stderr).toMatch(/^drydock agent worker failed: TLS handshake with Temporal at .* failed/);
    } finally {
      rogue.remove();
    }
  }, 120_000);

  test('the demo goal runs to a PR record, is found by its search attributes, and leaves no container', async () => {
    const id = `prod-demo-${RUN}`;
    model.push(...loadScript(fixturePath('scripts/demo.json')));
    const result: GoalResult = await client.workflow.execute('codingAgent', {
      taskQueue: AGENT_QUEUE,
      workflowId: id,
      args: [{ repository: makeGitRepo('demo-repo'), goal: 'Make the failing test in test/math.test.js pass' }],
    });
    expect(result.status).toBe('succeeded');
    expect(result.pr?.branch).toMatch(/^drydock\//);
    // Advanced visibility on PostgreSQL: drydock's search attributes answer a query.
    let count = 0;
    for (let i = 0; i < 40 && count === 0; i++) {
      count = (await client.workflow.count(`WorkflowId = '${id}' AND DrydockOutcome = 'succeeded'`)).count;
      if (count === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(count).toBe(1);
    expect(await containersOfGoal(id)).toEqual([]);
  }, 180_000);
});
