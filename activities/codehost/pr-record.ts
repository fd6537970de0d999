/**
 * PR records of the local code host: JSON (for tools) and Markdown (for
 * people) in DRYDOCK_DATA_DIR/prs, one pair per head branch.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { CheckResult, Usage } from '../../workflows/types';
import type { ChangedFile } from './code-host';

/** A local pull request. */
export interface PullRequestRecord {
  id: string;
  title: string;
  repository: string;
  base: string;
  baseCommit: string;
  head: string;
  commit: string;
  goalId: string;
  state: 'open';
  draft: boolean;
  createdAt: string;
  updatedAt: string;
  body: string;
  files: ChangedFile[];
  checks: CheckResult[];
  usage: Usage;
  model?: string;
}

/** Reads and writes PR records under one folder. */
export class PullRequestRecords {
  constructor(readonly dir: string) {}

  /** Path of a record's Markdown file. */
  markdownPath(id: string): string {
    return path.join(this.dir, `${id}.md`);
  }

  async write(record: PullRequestRecord): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    await atomicWrite(path.join(this.dir, `${record.id}.json`), JSON.stringify(record, null, 2) + '\n');
    await atomicWrite(
      this.markdownPath(record.id),
      `# ${record.title}\n\n\`${record.head}\` → \`${record.base}\` · ${record.repository}\n\n${record.body}\n`,
    );
  }

  /** The record with this id, or undefined. */
  async read(id: string): Promise<PullRequestRecord | undefined> {
    if (!/^[A-Za-z0-9_-]+$/.test(id)) return undefined;
    try {
      return JSON.parse(await fs.readFile(path.join(this.dir, `${id}.json`), 'utf8')) as PullRequestRecord;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Every record, newest first. */
  async list(): Promise<PullRequestRecord[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return [];
    }
    const records = await Promise.all(names.filter((n) => n.endsWith('.json')).map((n) => this.read(n.slice(0, -5))));
    return records
      .filter((r): r is PullRequestRecord => r !== undefined)
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  }
}

async function atomicWrite(file: string, data: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}
