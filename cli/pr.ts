/** `drydock pr list` and `drydock pr show <id>`: the local code host's PR records. */
import * as path from 'path';
import { PullRequestRecords } from '../activities/codehost/pr-record';
import type { DrydockConfig } from '../workers/config';
import { UsageError } from './errors';
import { printJson, printText } from './output';

/** Lists PR records, newest first. */
export async function prList(config: DrydockConfig, json: boolean): Promise<number> {
  const records = await new PullRequestRecords(path.join(config.dataDir, 'prs')).list();
  if (json) {
    printJson(records.map(({ body: _body, ...r }) => r));
    return 0;
  }
  if (records.length === 0) printText(`no pull requests yet (${path.join(config.dataDir, 'prs')})\n`);
  for (const r of records) {
    const passed = r.checks.every((c) => c.passed) ? 'checks passed' : 'checks failing';
    printText(`${r.id}  ${r.head} → ${r.base}  ${r.title}  (${r.files.length} files, ${passed}, ${r.updatedAt})\n`);
  }
  return 0;
}

/** Prints one PR record: its Markdown, or its JSON. */
export async function prShow(config: DrydockConfig, id: string | undefined, json: boolean): Promise<number> {
  if (!id) throw new UsageError('give the PR id (see `drydock pr list`)');
  const records = new PullRequestRecords(path.join(config.dataDir, 'prs'));
  const r = await records.read(id.replace(/^drydock\//, ''));
  if (!r) throw new UsageError(`no pull request ${id} (see \`drydock pr list\`)`);
  if (json) printJson(r);
  else printText(`# ${r.title}\n\n${r.head} → ${r.base} · ${r.repository} · commit ${r.commit.slice(0, 12)}\n\n${r.body}\n`);
  return 0;
}
