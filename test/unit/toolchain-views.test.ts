/**
 * Toolchain views left by containers removed behind drydock's back (by hand,
 * by the engine) are swept: those no container carries and older than the
 * grace period go; a young one, one in use, and anything not a view stay.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createToolchainView, sweepToolchainViews } from '../../activities/sandbox/toolchain-mounts';

test('sweeping removes only old views no container carries', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'drydock-views-'));
  try {
    const [orphan, used, young] = await Promise.all([1, 2, 3].map(() => createToolchainView(root, {})));
    const old = new Date(Date.now() - 10 * 60_000);
    for (const v of [orphan!, used!]) fs.utimesSync(v.dir, old, old);
    fs.mkdirSync(path.join(root, 'views', 'not-a-view'));
    const removed = await sweepToolchainViews(root, new Set([used!.id]), 5 * 60_000);
    expect(removed).toEqual([orphan!.id]);
    expect(fs.readdirSync(path.join(root, 'views')).sort()).toEqual([used!.id, young!.id, 'not-a-view'].sort());
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
