import type { ExecOptions, ExecResult, Sandbox } from '../../activities/sandbox/sandbox';
import {
  applyPatch,
  findTool,
  listFiles,
  parseFinishArgs,
  readFile,
  readFinishCall,
  runToolCall,
  search,
  shell,
  ToolArgumentError,
  toolDefinitions,
  TOOLS,
  writeFile,
} from '../../activities/tools';
import type { ToolContext } from '../../activities/tools';
import type { ChatMessage } from '../../activities/shared/chat';

/** A sandbox that records commands and answers each with `result`. */
class FakeSandbox implements Sandbox {
  calls: { argv: string[]; options?: ExecOptions }[] = [];

  constructor(private readonly result: Partial<ExecResult> = {}) {}

  async create() {
    return { id: 'fake', created: true };
  }
  async exec(_id: string, argv: string[], options?: ExecOptions): Promise<ExecResult> {
    this.calls.push({ argv, options });
    const stdout = this.result.stdout ?? '';
    return {
      exitCode: 0,
      stderr: '',
      timedOut: false,
      durationMs: 1,
      stdoutBytes: Buffer.byteLength(stdout),
      stderrBytes: 0,
      ...this.result,
      stdout,
    };
  }
  async putArchive() {}
  async getArchive(): Promise<NodeJS.ReadableStream> {
    throw new Error('not used');
  }
  async isRunning() {
    return true;
  }
  async destroy() {}
}

function context(sandbox: Sandbox): ToolContext {
  return { sandbox, containerId: 'fake', commandTimeoutMs: 30_000, maxOutputBytes: 10_000 };
}

/** The ToolArgumentError message parse throws. */
function parseError(parse: () => unknown): string {
  try {
    parse();
  } catch (err) {
    expect(err).toBeInstanceOf(ToolArgumentError);
    return (err as Error).message;
  }
  throw new Error('parse accepted the arguments');
}

describe('tool argument validation', () => {
  test('arguments must be an object', () => {
    for (const tool of TOOLS) {
      expect(parseError(() => tool.parse([]))).toBe('arguments must be a JSON object');
      expect(parseError(() => tool.parse('x'))).toBe('arguments must be a JSON object');
    }
  });

  test('shell needs a command, a cwd inside the workspace and a sane timeout', () => {
    expect(parseError(() => shell.parse({}))).toBe('command is required');
    expect(parseError(() => shell.parse({ command: 42 }))).toBe('command must be a string, got a number');
    expect(parseError(() => shell.parse({ command: '  ' }))).toBe('command must not be empty');
    expect(parseError(() => shell.parse({ command: 'ls', cwd: '../etc' }))).toContain(
      'cwd must be inside the workspace',
    );
    expect(parseError(() => shell.parse({ command: 'ls', cwd: '/etc' }))).toContain('cwd must be inside the workspace');
    expect(parseError(() => shell.parse({ command: 'ls', timeout_seconds: 0 }))).toContain(
      'timeout_seconds must be between',
    );
    expect(parseError(() => shell.parse({ command: 'ls', timeout_seconds: '5' }))).toContain(
      'timeout_seconds must be a number',
    );
    expect(shell.parse({ command: 'ls', cwd: '/workspace/src/../lib/', timeout_seconds: 2.5 })).toEqual({
      command: 'ls',
      cwd: 'lib',
      timeout_seconds: 2.5,
    });
  });

  test('read_file needs a path and a sensible line range', () => {
    expect(parseError(() => readFile.parse({}))).toBe('path is required');
    expect(parseError(() => readFile.parse({ path: 'a', start_line: 0 }))).toBe('start_line must be at least 1, got 0');
    expect(parseError(() => readFile.parse({ path: 'a', start_line: 1.5 }))).toBe('start_line must be a whole number');
    expect(parseError(() => readFile.parse({ path: 'a', start_line: 5, end_line: 2 }))).toContain(
      'end_line (2) must not be before',
    );
    expect(readFile.parse({ path: 'a', start_line: 2, end_line: 2 })).toEqual({
      path: 'a',
      start_line: 2,
      end_line: 2,
    });
  });

  test('write_file takes empty content but not binary or huge content', () => {
    expect(writeFile.parse({ path: 'a', content: '' })).toEqual({ path: 'a', content: '' });
    expect(parseError(() => writeFile.parse({ path: 'a' }))).toBe('content is required');
    expect(parseError(() => writeFile.parse({ path: 'a', content: 'x\0y' }))).toContain('NUL');
    expect(parseError(() => writeFile.parse({ path: 'a', content: 'x'.repeat(1024 * 1024 + 1) }))).toContain('at most');
  });

  test('apply_patch needs a diff with file headers', () => {
    expect(parseError(() => applyPatch.parse({ patch: 'just some text' }))).toContain('unified diff');
    expect(applyPatch.parse({ patch: '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b' }).patch).toMatch(/\n$/);
  });

  test('search needs a pattern; list_files a whole positive depth', () => {
    expect(parseError(() => search.parse({ path: 'src' }))).toBe('pattern is required');
    expect(search.parse({ pattern: 'foo', glob: '*.ts' })).toEqual({ pattern: 'foo', glob: '*.ts', path: undefined });
    expect(parseError(() => listFiles.parse({ depth: -1 }))).toBe('depth must be between 1 and 1000, got -1');
    expect(parseError(() => listFiles.parse({ depth: 1001 }))).toBe('depth must be between 1 and 1000, got 1001');
    expect(listFiles.parse({})).toEqual({ path: undefined, depth: undefined });
  });

  test('a null field counts as not given; unknown fields are ignored', () => {
    expect(listFiles.parse({ path: null, depth: null })).toEqual({});
    expect(parseError(() => shell.parse({ command: null }))).toBe('command is required');
    expect(shell.parse({ command: 'ls', verbose: true })).toEqual({ command: 'ls' });
  });

  test('finish needs a summary and a rationale', () => {
    expect(parseError(() => parseFinishArgs({ summary: 'done' }))).toBe('rationale is required');
    expect(parseError(() => parseFinishArgs({ summary: ' ', rationale: 'r' }))).toBe('summary must not be empty');
    expect(parseFinishArgs({ summary: 's', rationale: 'r' })).toEqual({ summary: 's', rationale: 'r' });
  });

  test('a finish call is read leniently: what is missing or not a string reads as absent', () => {
    const assistant = (args: string): ChatMessage => ({
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: '1', type: 'function', function: { name: 'shell', arguments: '{"command": "ls"}' } },
        { id: '2', type: 'function', function: { name: 'finish', arguments: args } },
      ],
    });
    expect(readFinishCall(assistant('{"summary": "Fix sum", "rationale": "off by one"}'))).toEqual({
      summary: 'Fix sum',
      rationale: 'off by one',
    });
    expect(readFinishCall(assistant('{"summary": "Fix sum", "rationale": 7}'))).toEqual({ summary: 'Fix sum' });
    expect(readFinishCall(assistant('{"summary": '))).toEqual({});
    expect(readFinishCall(assistant('["Fix sum"]'))).toEqual({});
    expect(readFinishCall({ role: 'assistant', content: 'done', tool_calls: [] })).toBeUndefined();
    expect(readFinishCall({ role: 'user', content: 'finish' })).toBeUndefined();
  });
});

describe('toolDefinitions and findTool', () => {
  test('every tool and finish are defined once, with an object schema', () => {
    const definitions = toolDefinitions();
    const names = definitions.map((d) => d.name);
    expect(names).toEqual(['shell', 'read_file', 'write_file', 'apply_patch', 'search', 'list_files', 'finish']);
    for (const d of definitions) expect(d.parameters).toMatchObject({ type: 'object' });
    expect(definitions.find((d) => d.name === 'finish')?.parameters).toMatchObject({
      required: ['summary', 'rationale'],
    });
    expect(findTool('read_file')).toBe(readFile);
    expect(findTool('finish')).toBeUndefined();
  });
});

describe('runToolCall', () => {
  test('malformed JSON is a result for the model, and nothing runs', async () => {
    const sandbox = new FakeSandbox();
    const outcome = await runToolCall(context(sandbox), 'read_file', '{"path": "a"');
    expect(outcome.ok).toBe(false);
    expect(outcome.output).toContain('arguments of read_file are not valid JSON');
    expect(sandbox.calls).toHaveLength(0);
  });

  test('an unknown tool is a result listing the known tools', async () => {
    const outcome = await runToolCall(context(new FakeSandbox()), 'rm_rf', '{}');
    expect(outcome.ok).toBe(false);
    expect(outcome.output).toBe(
      'unknown tool "rm_rf"; the tools are: shell, read_file, write_file, apply_patch, search, list_files, finish',
    );
  });

  test('invalid arguments are a result naming the field', async () => {
    const outcome = await runToolCall(context(new FakeSandbox()), 'shell', '{"command": ["ls"]}');
    expect(outcome).toEqual({
      ok: false,
      invalid: true,
      output: 'invalid arguments for shell: command must be a string, got an array',
      summary: 'invalid arguments for shell: command must be a string, got an array',
    });
  });

  test('an empty argument string counts as no arguments', async () => {
    const sandbox = new FakeSandbox({ stdout: 'a\nb/\n' });
    const outcome = await runToolCall(context(sandbox), 'list_files', '');
    expect(outcome.ok).toBe(true);
    expect(sandbox.calls[0]?.argv.slice(0, 2)).toEqual(['python3', '-c']);
  });

  test('valid calls run in the sandbox; shell reports the exit code and ok=false on failure', async () => {
    const sandbox = new FakeSandbox({ exitCode: 2, stdout: 'out', stderr: 'boom', stderrBytes: 4 });
    const outcome = await runToolCall(context(sandbox), 'shell', '{"command": "make", "cwd": "src"}');
    expect(outcome).toMatchObject({ ok: false, exitCode: 2, summary: '$ make → exit 2' });
    // A command that fails is a valid call: it does not count towards the invalid-turn limit.
    expect(outcome.invalid).toBeUndefined();
    expect(outcome.output).toBe('exit code: 2\n--- stdout ---\nout\n--- stderr ---\nboom');
    expect(sandbox.calls[0]?.argv).toEqual([
      'bash',
      '-c',
      'cd -- "$1" && exec bash -lc "$2"',
      'shell',
      '/workspace/src',
      'make',
    ]);
    expect(sandbox.calls[0]?.options).toMatchObject({ timeoutMs: 30_000, maxOutputBytes: 10_000 });
  });

  test('a helper that crashes is an infrastructure error, thrown', async () => {
    const sandbox = new FakeSandbox({ exitCode: 70, stderr: 'Traceback …' });
    await expect(runToolCall(context(sandbox), 'read_file', '{"path": "a"}')).rejects.toThrow(
      'read_file helper failed',
    );
  });

  test('finish is not run as a tool', async () => {
    await expect(runToolCall(context(new FakeSandbox()), 'finish', '{}')).rejects.toThrow('handled by the workflow');
  });
});
