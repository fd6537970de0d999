/**
 * The local code host, drydock's embedded default: the change becomes a commit
 * on `drydock/<short-id>` in the target repository (for a URL, in a bare
 * mirror drydock keeps) and a PR record in DRYDOCK_DATA_DIR/prs.
 */
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { PullRequestRef } from '../../workflows/types';
import { isGitUrl } from '../../workflows/policy';
import type { ChangeProposal, CodeHost } from './code-host';
import { commitPatch, git } from './git';
import { PullRequestRecords } from './pr-record';

/** Options of the local code host. */
export interface LocalGitHostOptions {
  /** DRYDOCK_DATA_DIR: PR records go to `prs/`, mirrors of URLs to `mirrors/`. */
  dataDir: string;
}

/** Publishes to a local branch plus a PR record. */
export class LocalGitHost implements CodeHost {
  readonly records: PullRequestRecords;

  constructor(private readonly options: LocalGitHostOptions) {
    this.records = new PullRequestRecords(path.join(options.dataDir, 'prs'));
  }

  async publish(proposal: ChangeProposal): Promise<PullRequestRef> {
    const target = await this.targetOf(proposal.repository);
    const work = await fs.mkdtemp(path.join(os.tmpdir(), 'drydock-publish-'));
    try {
      await git([
        'clone',
        '--quiet',
        '--no-checkout',
        '--single-branch',
        '--branch',
        proposal.baseBranch,
        '--',
        target,
        work,
      ]);
      const commit = await commitPatch(
        work,
        proposal.baseCommit,
        proposal.patch,
        proposal.commitMessage,
        proposal.tree,
      );
      // A forced push makes a re-publish (a retried activity, a re-run goal) update the branch in place; the lease
      // (the tip seen now, or "no branch yet") makes a concurrent writer's push fail this attempt instead of being lost.
      const ref = `refs/heads/${proposal.branch}`;
      const tip = (await git(['ls-remote', '--', target, ref], { cwd: work })).split('\t')[0]?.trim() ?? '';
      await git(['push', '--quiet', `--force-with-lease=${ref}:${tip}`, '--no-verify', '--', target, `HEAD:${ref}`], {
        cwd: work,
      });
      const id = proposal.branch.replace(/^drydock\//, '');
      const now = new Date().toISOString();
      const previous = await this.records.read(id);
      await this.records.write({
        id,
        title: proposal.title,
        repository: proposal.repository,
        base: proposal.baseBranch,
        baseCommit: proposal.baseCommit,
        head: proposal.branch,
        commit,
        goalId: proposal.goalId,
        state: 'open',
        draft: proposal.draft ?? false,
        createdAt: previous?.createdAt ?? now,
        updatedAt: now,
        body: proposal.body,
        files: proposal.files,
        checks: proposal.checks,
        usage: proposal.usage,
        model: proposal.model,
      });
      return {
        id,
        branch: proposal.branch,
        base: proposal.baseBranch,
        location: this.records.markdownPath(id),
        commit,
      };
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }

  /** The repository to push to: the local path itself, or a bare mirror of a URL. */
  private async targetOf(repository: string): Promise<string> {
    if (!isGitUrl(repository)) return repository;
    const mirror = path.join(
      this.options.dataDir,
      'mirrors',
      `${createHash('sha256').update(repository).digest('hex').slice(0, 16)}.git`,
    );
    const exists = await fs.access(mirror).then(
      () => true,
      () => false,
    );
    if (exists) {
      // Only the remote's branches are refreshed; drydock's own branches stay.
      await git(['fetch', '--quiet', 'origin', '+refs/heads/*:refs/heads/*', '^refs/heads/drydock/*'], {
        cwd: mirror,
      }).catch(() => git(['fetch', '--quiet', 'origin'], { cwd: mirror }));
    } else {
      await fs.mkdir(path.dirname(mirror), { recursive: true });
      await git(['clone', '--quiet', '--bare', '--', repository, mirror]);
    }
    return mirror;
  }
}
