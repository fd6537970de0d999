/**
 * The Temporal UI tells a goal's story on its own, as a person sees it in a
 * browser: on the workflow list a goal that did not succeed wears a failed
 * status, not a green "Completed"; a goal waiting at its plan gate shows the
 * goal text as its summary and, in its current details, what it waits for
 * and the command that answers. The dev server with its UI, the real workers,
 * Docker and git, the scripted model, and Debian's Chromium driven headless
 * by playwright-core (no browser is downloaded). Screenshots go to
 * .data/ui-screenshots/ for a person to look at.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { readGoalResult } from '../../cli/goal-result';
import { statusQuery } from '../../workflows/messages';
import { useAgentStack } from '../support/agent-stack';
import { runCli } from '../support/cli';
import { makeGitRepo } from '../support/git-fixtures';

/** Debian's Chromium (scripts/setup installs it); DRYDOCK_CHROMIUM names another. */
const CHROMIUM = process.env.DRYDOCK_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = path.join(__dirname, '..', '..', '.data', 'ui-screenshots');
const RUN = Math.random().toString(36).slice(2, 8);
const WAITING_GOAL = `Make the failing test in test/math.test.js pass (ui shot ${RUN})`;
const FAILED_GOAL = `Rename add to sum everywhere (ui shot ${RUN})`;
const PLAN = { type: 'text' as const, content: '1. Fix add in src/math.js\n2. Run npm test' };

const stack = useAgentStack({ ui: true });
let browser: BrowserContext | undefined;
let profile: string | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: this test drives Debian's Chromium headless. Run \`npm run setup\` (as root it installs chromium) or set DRYDOCK_CHROMIUM to a Chromium binary`,
    );
  mkdirSync(SHOTS, { recursive: true });
  profile = mkdtempSync(path.join(os.tmpdir(), 'drydock-chromium-'));
  // A fresh profile (--user-data-dir) each run: playwright passes it for a persistent context.
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1600, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const started: WorkflowHandle[] = [];
// A goal still waiting is cancelled, so that its workflow removes its sandbox container.
afterEach(async () => {
  for (const handle of started.splice(0)) {
    if ((await handle.describe()).status.name !== 'RUNNING') continue;
    await handle.cancel();
    await handle.result().catch(() => undefined);
  }
});

/** Starts a plan-gated goal the way a person does, with `drydock start`; returns its handle. */
async function start(name: string, goal: string): Promise<WorkflowHandle> {
  const id = `${name}-${RUN}`;
  const repo = makeGitRepo('demo-repo');
  const run = await runCli(['start', '--repo', repo, '--goal', goal, '--id', id, '--require-plan-approval'], cliEnv());
  expect(run).toMatchObject({ code: 0, stderr: '' });
  const handle = stack.env.client.workflow.getHandle(id);
  started.push(handle);
  return handle;
}

function cliEnv(): Record<string, string> {
  return { TEMPORAL_ADDRESS: stack.env.address, TEMPORAL_NAMESPACE: stack.env.namespace ?? 'default' };
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function newPage(): Promise<Page> {
  const page = await browser!.newPage();
  page.setDefaultTimeout(20_000);
  return page;
}

test('the UI lists a rejected goal as failed and shows a waiting goal its summary and what it waits for', async () => {
  // A goal whose plan is rejected without a comment ends failed.
  stack.model.push(PLAN);
  const failed = await start('ui-shot-failed', FAILED_GOAL);
  await until('the first plan gate', async () => (await failed.query(statusQuery)).waiting?.kind === 'plan_approval');
  const rejected = await runCli(['approve', 'plan', failed.workflowId, '--reject'], cliEnv());
  expect(rejected.code).toBe(0);
  expect((await readGoalResult(failed)).status).toBe('failed');

  // A goal left waiting at its plan gate.
  stack.model.push(PLAN);
  const waiting = await start('ui-shot-waiting', WAITING_GOAL);
  await until('the second plan gate', async () => (await waiting.query(statusQuery)).waiting?.kind === 'plan_approval');

  // (1) The workflow list: the failed goal's row wears "Failed", not "Completed". The list page reads
  // visibility, which trails the history a moment: wait until it has both goals, the first one closed.
  await until('visibility to list both goals', async () => {
    const seen = new Map<string, string>();
    for await (const w of stack.env.client.workflow.list({ query: `WorkflowId STARTS_WITH "ui-shot-"` }))
      seen.set(w.workflowId, w.status.name);
    const closed = seen.get(failed.workflowId);
    return closed !== undefined && closed !== 'RUNNING' && seen.get(waiting.workflowId) === 'RUNNING';
  });
  const list = await newPage();
  await list.goto(`${stack.uiUrl}/namespaces/default/workflows`);
  const failedRow = list.getByRole('row').filter({ hasText: failed.workflowId });
  const waitingRow = list.getByRole('row').filter({ hasText: waiting.workflowId });
  await shotAfter(list, 'workflow-list.png', async () => {
    await failedRow.waitFor();
    await waitingRow.waitFor();
  });
  const status = (await list.getByRole('columnheader').allInnerTexts()).findIndex((h) => h.trim() === 'Status');
  expect(status).toBeGreaterThanOrEqual(0);
  expect((await failedRow.locator('td').nth(status).innerText()).trim()).toBe('Failed');
  expect(await failedRow.innerText()).not.toContain('Completed');
  expect((await waitingRow.locator('td').nth(status).innerText()).trim()).toBe('Running');

  // (2) The waiting goal's User Metadata tab: the UI renders the summary, the details and the current
  // details as markdown, each in its own iframe.
  const page = await newPage();
  const { runId } = await waiting.describe();
  await page.goto(`${stack.uiUrl}/namespaces/default/workflows/${waiting.workflowId}/${runId}/user-metadata`);
  const frames = await shotAfter(page, 'waiting-goal.png', () =>
    until('the summary and the current details', async () => {
      const texts = await markdownFrames(page);
      return texts.includes(WAITING_GOAL) && texts.some((t) => t.includes('waiting for plan approval')) && texts;
    }),
  );
  const details = frames.find((t) => t.startsWith('repository'));
  expect(details).toMatch(/^repository \/tmp\/drydock-demo-repo-\w+\n/);
  expect(details).toContain('policy requirePlanApproval=true');
  const current = frames.find((t) => t.includes('waiting for plan approval'))!;
  // (The UI's markdown sets 1/30 as a fraction.)
  expect(current).toMatch(/^awaiting plan approval · turn 1[⁄/]30 · \d+ tokens/);
  expect(current).toMatch(
    /waiting for plan approval since \d{4}-\d\d-\d\dT[\d:.]+Z, until [\d-]+T[\d:.]+Z: 1\. Fix add/,
  );
  expect(current).toContain(
    `answer with drydock approve plan ${waiting.workflowId} or drydock approve plan ${waiting.workflowId} --reject`,
  );
  // The page itself names the wait's timer.
  await page.getByText('waiting for plan approval (7d)').first().waitFor();
}, 90_000);

/** Runs `wait`, then saves a screenshot of the page under .data/ui-screenshots/ (whether the wait succeeded or not). */
async function shotAfter<T>(page: Page, file: string, wait: () => Promise<T>): Promise<T> {
  try {
    return await wait();
  } finally {
    await page.screenshot({ path: path.join(SHOTS, file), fullPage: true });
  }
}

/** The text of every markdown iframe on a page (the UI's summary, details and current details). */
async function markdownFrames(page: Page): Promise<string[]> {
  const texts: string[] = [];
  for (const frame of page.frames()) {
    if (frame === page.mainFrame()) continue;
    const text = await frame
      .locator('body')
      .innerText({ timeout: 1000 })
      .catch(() => '');
    if (text.trim()) texts.push(text.trim());
  }
  return texts;
}
