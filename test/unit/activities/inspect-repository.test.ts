/**
 * inspectRepository as the sandbox worker registers it: the checks come from
 * the environment file, else AGENTS.md, else detection over the facts read on
 * the host from the base commit; only the venv is read after setup, by the
 * engine; a goal copied by an older worker (no facts recorded) still gets its checks.
 */
import { Readable } from 'stream';
import { SandboxNotFoundError } from '../../../activities/sandbox/errors';
import { createSandboxActivities } from '../../../activities/host';
import { environmentRecordKey, factsRecordKey } from '../../../activities/host/goal-environment';
import type { CommitFacts } from '../../../activities/environment/repository-facts';
import type { SandboxRef } from '../../../workflows/types';
import { InMemoryArtifactStore, mockActivityEnvironment, runActivity, ScriptedSandbox } from '../../support/fake-ports';

const GOAL = 'goal-inspect';

/** A sandbox whose workspace holds the given files, as the engine's archive API finds them. */
class WorkspaceSandbox extends ScriptedSandbox {
  constructor(
    private readonly files: string[],
    answer?: ConstructorParameters<typeof ScriptedSandbox>[0],
  ) {
    super(answer);
  }
  override async getArchive(id: string, path = ''): Promise<NodeJS.ReadableStream> {
    if (this.files.includes(path)) return Readable.from([Buffer.alloc(512)]);
    return super.getArchive(id);
  }
}

async function inspect(
  o: { environment?: unknown; facts?: CommitFacts; sandbox?: ScriptedSandbox } = {},
): Promise<{ checks: string[]; instructionsRef?: string }> {
  const store = new InMemoryArtifactStore();
  const sandbox = o.sandbox ?? new WorkspaceSandbox([]);
  const { id } = await sandbox.create({ name: 'drydock-goal-inspect', image: 'drydock-sandbox' });
  const ref: SandboxRef = { containerId: id, containerName: 'drydock-goal-inspect', taskQueue: 'q', host: 'h' };
  const text = o.environment === undefined ? null : JSON.stringify(o.environment);
  await store.put(environmentRecordKey(GOAL), JSON.stringify({ text }));
  if (o.facts) await store.put(factsRecordKey(GOAL), JSON.stringify(o.facts));
  const activities = createSandboxActivities({ sandbox, store, host: 'h', image: 'drydock-sandbox' });
  return runActivity(mockActivityEnvironment(), activities.inspectRepository, { sandbox: ref, goalId: GOAL });
}

const PYTHON: CommitFacts = {
  rootEntries: ['pyproject.toml', 'tests'],
  pyprojectToml: '[tool.pytest.ini_options]\n',
  hasPythonTests: true,
};

test("the environment file's checks override AGENTS.md and detection; AGENTS.md is still stored for the model", async () => {
  const facts = { ...PYTHON, agents: '## Checks\n- `make lint`\n' };
  const result = await inspect({ environment: { checks: ['tox -e py'] }, facts });
  expect(result.checks).toEqual(['tox -e py']);
  expect(result.instructionsRef).toBe(`goals/${GOAL}/instructions.md`);
  expect((await inspect({ facts })).checks).toEqual(['make lint']);
});

test('detection uses the venv setup left (read by the engine), else the image python; nothing runs in the sandbox', async () => {
  const withVenv = new WorkspaceSandbox(['/workspace/.venv/pyvenv.cfg']);
  expect((await inspect({ facts: PYTHON, sandbox: withVenv })).checks).toEqual(['.venv/bin/python -m pytest -q']);
  expect(withVenv.execs).toEqual([]);
  const withOldVenv = new WorkspaceSandbox(['/workspace/venv/pyvenv.cfg']);
  expect((await inspect({ facts: PYTHON, sandbox: withOldVenv })).checks).toEqual(['venv/bin/python -m pytest -q']);
  expect((await inspect({ facts: PYTHON })).checks).toEqual(['python3 -m pytest -q']);
});

test('a sandbox lost while the venv is looked for is SandboxLost, not "no venv"', async () => {
  const sandbox = new WorkspaceSandbox([]);
  const lost = inspect({
    facts: PYTHON,
    sandbox: Object.assign(sandbox, {
      getArchive: async (id: string) => {
        sandbox.lose(id);
        throw new SandboxNotFoundError(id);
      },
    }),
  });
  await expect(lost).rejects.toMatchObject({ type: 'SandboxLost' });
});

test('a goal copied before facts were recorded on the host reads them in the sandbox (an upgrade mid-goal)', async () => {
  const sandbox = new WorkspaceSandbox([], () => ({
    stdout: JSON.stringify({
      rootEntries: ['go.mod'],
      packageJson: null,
      makefile: null,
      hasPythonTests: false,
      agents: null,
    }),
  }));
  expect((await inspect({ sandbox })).checks).toEqual(['go test ./...']);
  expect(sandbox.execs.map((e) => e.argv[0])).toEqual(['python3']);
});
