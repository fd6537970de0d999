/**
 * The scripted model as the keyless demo runs it: the compiled
 * `dist/scripted-model/serve.js` started from a shell with a JSON script.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';

const SERVE = path.join(__dirname, '..', '..', 'dist', 'scripted-model', 'serve.js');
const DEMO_SCRIPT = path.join(__dirname, '..', 'fixtures', 'scripts', 'demo.json');

/** What a finished serve.js process printed. */
interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

let child: ChildProcess | undefined;
let dir: string | undefined;

afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Starts serve.js; resolves with its base URL once it prints `listening <url>`. */
function serve(args: string[]): { url: Promise<string>; exit: Promise<Exit> } {
  if (!existsSync(SERVE))
    throw new Error('dist/scripted-model/serve.js is missing: run `npm run build` (npm test does it)');
  const proc = spawn(process.execPath, [SERVE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  let stdout = '';
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = new Promise<string>((resolve, reject) => {
    proc.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const match = /^listening (\S+)$/m.exec(stdout);
      if (match?.[1]) resolve(match[1]);
    });
    proc.once('exit', () => reject(new Error(`serve.js exited before listening: ${stderr}`)));
  });
  const exit = new Promise<Exit>((resolve) => proc.once('exit', (code) => resolve({ code, stdout, stderr })));
  return { url, exit };
}

test('serve.js plays a JSON script to the openai client and reports unmet expectations on SIGTERM', async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-scripted-'));
  const script = path.join(dir, 'script.json');
  writeFileSync(
    script,
    JSON.stringify([
      {
        type: 'tool_calls',
        calls: [{ name: 'read_file', arguments: { path: 'src/math.js' } }],
        usage: { prompt_tokens: 7, completion_tokens: 3 },
      },
      { type: 'text', content: 'done', expect: { lastMessageIncludes: 'never sent' } },
    ]),
  );
  const { url, exit } = serve(['--script', script, '--port', '0']);
  const client = new OpenAI({ apiKey: 'scripted', baseURL: await url, maxRetries: 0 });

  const first = await client.chat.completions.create({
    model: 'scripted',
    messages: [{ role: 'user', content: 'fix it' }],
  });
  expect(first.choices[0]?.message.tool_calls?.[0]).toMatchObject({
    function: { name: 'read_file', arguments: '{"path":"src/math.js"}' },
  });
  expect(first.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
  await expect(
    client.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'again' }] }),
  ).rejects.toMatchObject({ status: 400 });

  child?.kill('SIGTERM');
  const { code, stderr } = await exit;
  expect(code).toBe(0);
  expect(stderr).toContain('scripted-model-server: turn 2 (text): expected the last message to include "never sent"');
});

test('serve.js loads the demo script and refuses a script that is not one', async () => {
  const demo = serve(['--script', DEMO_SCRIPT, '--port', '0']);
  expect(await demo.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  child?.kill('SIGTERM');
  expect((await demo.exit).code).toBe(0);

  dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-scripted-'));
  const bad = path.join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify([{ type: 'tool_calls', calls: [] }, { type: 'reply' }]));
  const refused = serve(['--script', bad]);
  refused.url.catch(() => undefined);
  const { code, stderr } = await refused.exit;
  expect(code).toBe(1);
  expect(stderr).toContain('turn 2 has type "reply"; expected one of tool_calls, text, error, hang, empty');
});
