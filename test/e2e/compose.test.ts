/**
 * docker-compose.yml, exercised (issue 19 item 3): `scripts/prod-stack images`
 * builds the stack's images here from Debian's packages and the Go-built
 * binaries, `docker compose up` runs PostgreSQL, the schema setup, the Temporal
 * server, its UI and drydock's two workers (plus the scripted model as a service,
 * test/fixtures/compose/scripted-model.yml), the demo goal runs through them to
 * a PR record, and `down -v` leaves no container, volume or network of the
 * project. Opt-in (DRYDOCK_COMPOSE_E2E=1): needs root and Docker Compose
 * (Debian's docker-compose or compose v2); the first image build takes a few
 * minutes, later runs about a minute.
 */
import { execFile, execFileSync } from 'child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import * as path from 'path';
import { Client, Connection } from '@temporalio/client';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalResult } from '../../workflows/types';
import type { PullRequestRecord } from '../../activities/codehost/pr-record';
import { containersOfGoal, docker } from '../support/docker';
import { fixturePath, gitIn } from '../support/git-fixtures';

const ROOT = path.join(__dirname, '..', '..');
const RUN = Math.random().toString(36).slice(2, 8);
const PROJECT = `drydock-e2e-${RUN}`;
const PORT = 27233 + Math.floor(Math.random() * 500);
const suite = process.env.DRYDOCK_COMPOSE_E2E === '1' ? describe : describe.skip;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeout = 30 * 60_000): Promise<Ran> {
  return new Promise((resolve) =>
    execFile(cmd, args, { cwd: ROOT, env, timeout, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** compose v2 when the docker CLI has it, else Debian's docker-compose. */
function composeCommand(): string[] {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
    return ['docker', 'compose'];
  } catch {
    return ['docker-compose'];
  }
}

suite('docker-compose.yml with the locally built images', () => {
  let env: NodeJS.ProcessEnv;
  let dataDir: string;
  let connection: Connection;
  let client: Client;
  const [composeBin, ...composeArgs] = composeCommand();
  const compose = (...args: string[]) =>
    run(
      composeBin!,
      [
        ...composeArgs,
        '-p',
        PROJECT,
        '-f',
        'docker-compose.yml',
        '-f',
        'test/fixtures/compose/scripted-model.yml',
        ...args,
      ],
      env,
    );

  beforeAll(async () => {
    const images = await run('bash', [path.join(ROOT, 'scripts', 'prod-stack'), 'images']);
    if (images.code !== 0) throw new Error(`scripts/prod-stack images failed:\n${images.stderr.slice(-3000)}`);
    const vars = Object.fromEntries(
      images.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('=', 2) as [string, string]),
    );
    expect(Object.keys(vars).sort()).toEqual([
      'DRYDOCK_POSTGRES_IMAGE',
      'DRYDOCK_TEMPORAL_ADMIN_IMAGE',
      'DRYDOCK_TEMPORAL_IMAGE',
      'DRYDOCK_UI_IMAGE',
      'DRYDOCK_WORKER_IMAGE',
    ]);
    // The sandbox worker's bind mounts name host paths: the data folder is the same path inside and out.
    dataDir = mkdtempSync('/tmp/drydock-compose-');
    const seccomp = execFileSync('bash', ['-c', 'ls ~/.cache/drydock/seccomp-moby-*.json | tail -1'], {
      encoding: 'utf8',
    }).trim();
    env = {
      ...process.env,
      ...vars,
      DRYDOCK_COMPOSE_DATA_DIR: dataDir,
      DRYDOCK_SANDBOX_IMAGE: execFileSync(path.join(ROOT, 'scripts', 'sandbox-image', 'tag'), {
        encoding: 'utf8',
      }).trim(),
      DRYDOCK_SECCOMP_PROFILE: seccomp,
      DRYDOCK_TEMPORAL_PORT: String(PORT),
      DRYDOCK_UI_PORT: String(PORT + 1000),
      DRYDOCK_HOST_ID: `compose-${RUN}`,
      DRYDOCK_E2E_SCRIPT: fixturePath('scripts/demo.json'),
    };
    const up = await compose('up', '-d', '--no-build');
    if (up.code !== 0) throw new Error(`compose up failed:\n${up.stderr.slice(-3000)}`);
    connection = await Connection.connect({ address: `127.0.0.1:${PORT}` });
    client = new Client({ connection, namespace: 'default' });
  }, 35 * 60_000);

  afterAll(async () => {
    await connection?.close().catch(() => undefined);
    if (env) {
      const logs = await compose('logs', '--no-color', '--tail', '30');
      if (process.env.DRYDOCK_COMPOSE_E2E_LOGS === '1') process.stderr.write(logs.stdout);
      await compose('down', '-v', '--remove-orphans');
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 300_000);

  test('every service runs the locally built image, and the UI answers', async () => {
    const ps = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${PROJECT}`] },
    });
    const imageOf = Object.fromEntries(ps.map((c) => [c.Labels['com.docker.compose.service'], c.Image]));
    expect(imageOf).toEqual({
      postgresql: env.DRYDOCK_POSTGRES_IMAGE,
      'temporal-schema': env.DRYDOCK_TEMPORAL_ADMIN_IMAGE,
      temporal: env.DRYDOCK_TEMPORAL_IMAGE,
      'temporal-setup': env.DRYDOCK_TEMPORAL_ADMIN_IMAGE,
      ui: env.DRYDOCK_UI_IMAGE,
      'agent-worker': env.DRYDOCK_WORKER_IMAGE,
      'sandbox-worker': env.DRYDOCK_WORKER_IMAGE,
      model: env.DRYDOCK_WORKER_IMAGE,
    });
    const info = await client.workflowService.getClusterInfo({});
    expect(info.historyShardCount).toBe(4);
    expect(info.persistenceStore).toMatch(/postgres/);
    let status = 0;
    for (let i = 0; i < 60 && status !== 200; i++) {
      status = await fetch(`http://127.0.0.1:${PORT + 1000}/api/v1/namespaces/default`)
        .then((r) => r.status)
        .catch(() => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe(200);
  }, 120_000);

  test('the demo goal runs through the stack to a PR record and leaves no sandbox', async () => {
    const repo = path.join(dataDir, 'demo-repo');
    cpSync(fixturePath('demo-repo'), repo, { recursive: true });
    gitIn(repo, 'init', '-q', '-b', 'main');
    gitIn(repo, 'add', '-A');
    gitIn(repo, 'commit', '-q', '-m', 'initial');
    const id = `compose-demo-${RUN}`;
    const result: GoalResult = await client.workflow.execute('codingAgent', {
      taskQueue: AGENT_QUEUE,
      workflowId: id,
      args: [{ repository: repo, goal: 'Make the failing test in test/math.test.js pass' }],
    });
    expect(result.status).toBe('succeeded');
    expect(result.pr?.branch).toMatch(/^drydock\//);
    const record = path.join(dataDir, 'prs', `${result.pr!.id}.json`);
    expect(existsSync(record)).toBe(true);
    const pr = JSON.parse(readFileSync(record, 'utf8')) as PullRequestRecord;
    expect(pr.head).toBe(result.pr!.branch);
    expect(gitIn(repo, 'diff', 'main', result.pr!.branch)).toContain('+  return a + b;');
    // Advanced visibility on PostgreSQL answers drydock's search attributes.
    let count = 0;
    for (let i = 0; i < 40 && count === 0; i++) {
      count = (await client.workflow.count(`WorkflowId = '${id}' AND DrydockOutcome = 'succeeded'`)).count;
      if (count === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(count).toBe(1);
    expect(await containersOfGoal(id)).toEqual([]);
  }, 300_000);

  test('down -v leaves no container, volume or network of the project', async () => {
    await connection.close().catch(() => undefined);
    const down = await compose('down', '-v', '--remove-orphans');
    expect(down.code).toBe(0);
    const label = `com.docker.compose.project=${PROJECT}`;
    expect(await docker.listContainers({ all: true, filters: { label: [label] } })).toEqual([]);
    expect((await docker.listVolumes({ filters: { label: [label] } })).Volumes ?? []).toEqual([]);
    expect(await docker.listNetworks({ filters: { label: [label] } })).toEqual([]);
    expect((await docker.listNetworks()).filter((n) => n.Name.startsWith(PROJECT))).toEqual([]);
  }, 300_000);
});
