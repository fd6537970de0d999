/**
 * Which Node a goal gets: the request from toolchains.node, .nvmrc, .node-version or
 * engines.node (in that order), and the published version it resolves to (a major:
 * its newest; a range: the image's Node when it satisfies it). Unknown, unpublished
 * and too-old versions fail with ToolchainUnavailable naming the request's file.
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  compareVersions,
  newestVersion,
  nodeRequestOf,
  resolveNodeRequest,
  type NodeVersionLister,
} from '../../activities/environment/node-version';
import { parseEnvironmentFile } from '../../activities/environment/environment-file';

/** A registry holding these versions; a spec matches like npm's: exact, major, major.minor, or `>=a <b`. */
function registry(versions: string[]): NodeVersionLister & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async versionsMatching(spec: string) {
      asked.push(spec);
      const range = /^>=(\S+) <(\S+)$/.exec(spec);
      if (range) return versions.filter((v) => compareVersions(v, range[1]!) >= 0 && compareVersions(v, range[2]!) < 0);
      return versions.filter((v) => v === spec || v.startsWith(`${spec}.`));
    },
  };
}

const PUBLISHED = ['7.10.1', '20.19.2', '20.20.2', '22.9.0', '22.11.0', '22.23.5', '22.23.10', '24.1.0'];

async function failureOf(p: Promise<unknown> | (() => unknown)): Promise<ApplicationFailure> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return err as ApplicationFailure;
  }
  throw new Error('expected a failure');
}

test('a major resolves to the newest published version of that major (numeric order, not text order)', async () => {
  const request = nodeRequestOf('22', {})!;
  expect(request).toEqual({ kind: 'version', spec: '22', source: '.drydock/environment.json toolchains.node' });
  expect(await resolveNodeRequest(request, registry(PUBLISHED))).toEqual({ install: '22.23.10', request });
});

test('an exact version resolves to itself; a leading v is allowed', async () => {
  const request = nodeRequestOf('v22.11.0', {})!;
  expect(await resolveNodeRequest(request, registry(PUBLISHED))).toMatchObject({ install: '22.11.0' });
});

test('an unpublished version is ToolchainUnavailable naming the request and its file', async () => {
  const err = await failureOf(resolveNodeRequest(nodeRequestOf('99', {})!, registry(PUBLISHED)));
  expect(err.type).toBe('ToolchainUnavailable');
  expect(err.nonRetryable).toBe(true);
  expect(err.message).toContain(
    'Node "99" (.drydock/environment.json toolchains.node) is not a published Node version',
  );
});

test('a published but ancient major (7) is refused, not installed', async () => {
  const err = await failureOf(resolveNodeRequest(nodeRequestOf('7', {})!, registry(PUBLISHED)));
  expect(err.type).toBe('ToolchainUnavailable');
  expect(err.message).toMatch(/resolves to Node 7\.10\.1, older than the oldest drydock installs \(18\)/);
});

test('a malformed version ("banana") fails at once, naming the file', async () => {
  const err = await failureOf(() => nodeRequestOf('banana', {}));
  expect(err.type).toBe('ToolchainUnavailable');
  expect(err.message).toBe(
    '.drydock/environment.json toolchains.node is "banana": drydock installs a Node version such as "22", "22.11" or "22.11.0"',
  );
  expect((await failureOf(() => nodeRequestOf(undefined, { nvmrc: '>=22' }))).message).toMatch(/^\.nvmrc is ">=22"/);
});

test('precedence: toolchains.node, then .nvmrc, then .node-version, then engines.node; nvm aliases name nothing', () => {
  const hints = { nvmrc: 'v20', nodeVersion: '24.1.0', enginesNode: '>=18' };
  expect(nodeRequestOf('22', hints)?.source).toBe('.drydock/environment.json toolchains.node');
  expect(nodeRequestOf(undefined, hints)).toEqual({ kind: 'version', spec: '20', source: '.nvmrc' });
  expect(nodeRequestOf(undefined, { ...hints, nvmrc: 'lts/*' })).toEqual({
    kind: 'version',
    spec: '24.1.0',
    source: '.node-version',
  });
  expect(nodeRequestOf(undefined, { enginesNode: '>=18' })).toEqual({
    kind: 'range',
    spec: '>=18',
    source: 'package.json engines.node',
  });
  expect(nodeRequestOf(undefined, { nvmrc: 'node' })).toBeUndefined();
  expect(nodeRequestOf(undefined, {})).toBeUndefined();
});

test('an engines.node range installs nothing when the image Node satisfies it, and the newest match when it does not', async () => {
  const request = nodeRequestOf(undefined, { enginesNode: '>=20.19.0 <21.0.0' })!;
  expect(await resolveNodeRequest(request, registry(PUBLISHED), 'v20.19.2')).toEqual({
    image: true,
    reason: "the image's Node v20.19.2 satisfies package.json engines.node >=20.19.0 <21.0.0",
  });
  const newer = nodeRequestOf(undefined, { enginesNode: '>=22.12.0 <23.0.0' })!;
  expect(await resolveNodeRequest(newer, registry(PUBLISHED), 'v20.19.2')).toMatchObject({ install: '22.23.10' });
  const none = nodeRequestOf(undefined, { enginesNode: '>=30.0.0 <31.0.0' })!;
  expect((await failureOf(resolveNodeRequest(none, registry(PUBLISHED), 'v20.19.2'))).type).toBe(
    'ToolchainUnavailable',
  );
});

test('newestVersion orders numerically and leaves prereleases out of resolution', async () => {
  expect(newestVersion(['22.9.0', '22.10.0', '22.2.0'])).toBe('22.10.0');
  expect(newestVersion([])).toBeUndefined();
  const request = nodeRequestOf('24', {})!;
  expect(await resolveNodeRequest(request, registry(['24.0.0-rc.1', '24.1.0']))).toMatchObject({ install: '24.1.0' });
});

test('toolchains.node is read from the environment file as a string or a number', () => {
  const declared = (text: string) => parseEnvironmentFile(text).toolchains?.node;
  expect(declared('{"toolchains":{"node":"22"}}')).toBe('22');
  expect(declared('{"toolchains":{"node":22}}')).toBe('22');
  expect(declared('{"setup":"npm ci"}')).toBeUndefined();
  expect(parseEnvironmentFile(null).toolchains?.node).toBeUndefined();
});
