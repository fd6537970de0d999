/**
 * The GitHub code host: the change is pushed over HTTPS to `drydock/<id>` (the
 * token travels in a per-command header, never in argv, .git/config or a URL)
 * and becomes one draft pull request labelled `drydock` and `agent-generated`.
 * Every step finds what an earlier attempt made before making it, so a
 * retried or re-run publish updates the same branch and PR.
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Octokit } from '@octokit/rest';
import type { IssueRef, PullRequestRef } from '../../workflows/types';
import { MAX_GOAL_CHARS } from '../../workflows/policy';
import type { ChangeProposal, CodeHost, IssueText, ReviewFeedback } from './code-host';
import { GitCommandError, GitHubApiError } from './errors';
import { createOctokit, gitAuthEnv, type GitHubAuth } from './github-auth';
import { gitHubErrorOf, redactGitHubText, type GitHubCallContext } from './github-errors';
import { gitRemoteOf, parseGitHubRepository, type GitHubRepository } from './github-repository';
import { commitPatch, git } from './git';

/** Labels every drydock pull request carries. */
export const PULL_REQUEST_LABELS = ['drydock', 'agent-generated'];

/** Options of the GitHub code host. */
export interface GitHubHostOptions {
  auth: GitHubAuth;
  /** REST API base URL (GITHUB_API_URL). */
  apiUrl: string;
  /** Where repositories live (`https://github.com`); repository URLs are parsed against it. */
  webUrl: string;
  /** Base URL git clones and pushes from; the web URL in production. */
  gitUrl: string;
}

const PERMISSIONS = {
  contents: 'Contents: read and write',
  pulls: 'Pull requests: read and write',
  issues: 'Issues: read and write',
};

/** Publishes to GitHub through Octokit and git over HTTPS. */
export class GitHubHost implements CodeHost {
  constructor(private readonly options: GitHubHostOptions) {}

  /** True when a repository URL is on this host's GitHub. */
  serves(repository: string): boolean {
    return parseGitHubRepository(repository, this.options.webUrl) !== undefined;
  }

  async publish(proposal: ChangeProposal): Promise<PullRequestRef> {
    const target = this.repositoryOf(proposal.repository);
    const session = await this.session(target);
    const commit = await this.pushBranch(target, proposal, session.token);
    const pr = await this.openOrUpdatePullRequest(target, proposal, session);
    await session.call({ action: 'labelling the pull request', permission: PERMISSIONS.pulls }, (o) =>
      o.issues.addLabels({ ...target, issue_number: pr.number, labels: PULL_REQUEST_LABELS }),
    );
    if (proposal.pullRequestNumber !== undefined) {
      // A revision keeps the PR's title and body; its own report goes into one comment per goal.
      await this.commentOnce(
        session,
        target,
        pr.number,
        `drydock:revision:${proposal.goalId}`,
        `### drydock revision\n\n${proposal.body}`,
      );
    }
    if (proposal.issue) {
      const issueRepo = { owner: proposal.issue.owner, repo: proposal.issue.repo };
      const issueSession = sameRepository(issueRepo, target) ? session : await this.session(issueRepo);
      await this.commentOnce(
        issueSession,
        issueRepo,
        proposal.issue.number,
        `drydock:pr:${target.owner}/${target.repo}#${pr.number}`,
        `drydock opened a pull request for this issue: ${pr.html_url}`,
      );
    }
    return { id: String(pr.number), branch: proposal.branch, base: pr.base.ref, location: pr.html_url, commit };
  }

  async readIssue(repository: string, issue: IssueRef): Promise<IssueText> {
    // The issue may live in another repository than the one the goal changes.
    void repository;
    const target = { owner: issue.owner, repo: issue.repo };
    const session = await this.session(target);
    const { data } = await session.call(
      { action: `reading issue #${issue.number}`, permission: PERMISSIONS.issues.replace('read and write', 'read') },
      (o) => o.issues.get({ ...target, issue_number: issue.number }),
    );
    if (data.pull_request) {
      throw new GitHubApiError(
        `${issue.owner}/${issue.repo}#${issue.number} is a pull request, not an issue: use \`drydock revise\``,
        'InvalidGoalInput',
      );
    }
    return { title: data.title, body: data.body ?? '', url: data.html_url };
  }

  /**
   * The unresolved review feedback of a pull request. The REST API does not
   * expose GitHub's "resolved" flag, so here unresolved means: a review comment
   * thread whose first comment is still on the current diff (GitHub nulls its
   * line when a later push made it outdated), and a review with a body that was
   * submitted on the current head commit (earlier reviews were answered by the
   * push that followed them).
   */
  async readReviewFeedback(repository: string, number: number): Promise<ReviewFeedback> {
    const target = this.repositoryOf(repository);
    const session = await this.session(target);
    const read = {
      action: `reading pull request #${number}`,
      permission: PERMISSIONS.pulls.replace('read and write', 'read'),
    };
    const { data: pr } = await session.call(read, (o) => o.pulls.get({ ...target, pull_number: number }));
    if (pr.state !== 'open')
      throw new GitHubApiError(
        `pull request #${number} of ${target.owner}/${target.repo} is ${pr.state}; only open pull requests can be revised`,
        'InvalidGoalInput',
      );
    if (pr.head.repo?.full_name?.toLowerCase() !== `${target.owner}/${target.repo}`.toLowerCase()) {
      throw new GitHubApiError(
        `pull request #${number} comes from the fork ${pr.head.repo?.full_name ?? '(deleted)'}; drydock revises branches of ${target.owner}/${target.repo} only`,
        'InvalidGoalInput',
      );
    }
    const comments = await session.call(read, (o) =>
      o.paginate(o.pulls.listReviewComments, { ...target, pull_number: number, per_page: 100 }),
    );
    const reviews = await session.call(read, (o) =>
      o.paginate(o.pulls.listReviews, { ...target, pull_number: number, per_page: 100 }),
    );

    const threads = comments
      .filter((c) => c.in_reply_to_id === undefined || c.in_reply_to_id === null)
      .filter((c) => (c.line ?? c.position ?? null) !== null)
      .map((root) => ({ root, replies: comments.filter((c) => c.in_reply_to_id === root.id) }));
    const current = reviews.filter(
      (r) =>
        r.commit_id === pr.head.sha &&
        (r.state === 'CHANGES_REQUESTED' || r.state === 'COMMENTED') &&
        (r.body ?? '').trim() !== '',
    );
    if (threads.length === 0 && current.length === 0) {
      throw new GitHubApiError(
        `pull request #${number} of ${target.owner}/${target.repo} has no unresolved review feedback (no review comment on the current diff, no review with a body on the head commit ${pr.head.sha.slice(0, 12)})`,
        'NoReviewFeedback',
      );
    }
    const lines = [
      `Address the review feedback on pull request #${number} "${pr.title}" (${pr.html_url}).`,
      `The branch ${pr.head.ref} already holds the earlier change; change what the reviewers ask for and keep the checks passing.`,
      '',
    ];
    if (threads.length > 0) lines.push('Review comments:');
    threads.forEach(({ root, replies }, i) => {
      lines.push(
        `${i + 1}. ${root.path}${root.line ? ` line ${root.line}` : ''} (@${root.user?.login ?? 'someone'}): ${root.body.trim()}`,
      );
      for (const r of replies) lines.push(`   reply (@${r.user?.login ?? 'someone'}): ${r.body.trim()}`);
    });
    if (current.length > 0) lines.push('', 'Reviews:');
    for (const r of current)
      lines.push(
        `- @${r.user?.login ?? 'someone'} (${r.state === 'CHANGES_REQUESTED' ? 'requested changes' : 'commented'}): ${(r.body ?? '').trim()}`,
      );
    const text = lines.join('\n');
    return {
      headBranch: pr.head.ref,
      baseBranch: pr.base.ref,
      url: pr.html_url,
      items: threads.length + current.length,
      text: text.length > MAX_GOAL_CHARS ? `${text.slice(0, MAX_GOAL_CHARS - 1)}…` : text,
    };
  }

  private repositoryOf(repository: string): GitHubRepository {
    const r = parseGitHubRepository(repository, this.options.webUrl);
    if (!r)
      throw new GitHubApiError(
        `${repository} is not a repository on ${this.options.webUrl} (expected ${this.options.webUrl}/<owner>/<repo>)`,
        'InvalidRepository',
      );
    return r;
  }

  private async session(target: GitHubRepository): Promise<GitHubSession> {
    let token: string;
    try {
      token = await this.options.auth.tokenFor(target.owner, target.repo);
    } catch (err) {
      throw gitHubErrorOf(
        err,
        {
          action: 'authenticating',
          repository: `${target.owner}/${target.repo}`,
          permission: 'access to the repository',
        },
        this.options.auth.secrets(),
      );
    }
    const octokit = createOctokit(this.options.apiUrl, token);
    const secrets = () => [token, ...this.options.auth.secrets()];
    return {
      token,
      call: async (context, run) => {
        try {
          return await run(octokit);
        } catch (err) {
          throw gitHubErrorOf(err, { ...context, repository: `${target.owner}/${target.repo}` }, secrets());
        }
      },
    };
  }

  /** Commits the patch on the base commit and pushes it to the head branch; returns the commit. */
  private async pushBranch(target: GitHubRepository, proposal: ChangeProposal, token: string): Promise<string> {
    const remote = gitRemoteOf(this.options.gitUrl, target);
    const env = gitAuthEnv(token);
    const work = await fs.mkdtemp(path.join(os.tmpdir(), 'drydock-github-'));
    const context = {
      action: `pushing ${proposal.branch}`,
      repository: `${target.owner}/${target.repo}`,
      permission: PERMISSIONS.contents,
    };
    try {
      await this.git(
        ['clone', '--quiet', '--no-checkout', '--single-branch', '--branch', proposal.baseBranch, '--', remote, work],
        env,
        token,
        context,
      );
      const commit = await commitPatch(
        work,
        proposal.baseCommit,
        proposal.patch,
        proposal.commitMessage,
        proposal.tree,
      );
      const ref = `refs/heads/${proposal.branch}`;
      const observed =
        (await this.git(['ls-remote', '--', remote, ref], env, token, context, work)).split(/\s/)[0] ?? '';
      if (proposal.pullRequestNumber !== undefined && observed && observed !== proposal.baseCommit) {
        // A revision may replace only its own earlier attempt (a retry), never commits someone pushed meanwhile.
        await this.git(['fetch', '--quiet', '--no-tags', '--', remote, ref], env, token, context, work);
        const parent = (await git(['rev-parse', `${observed}^`], { cwd: work }).catch(() => '')).trim();
        const message = await git(['log', '-1', '--format=%B', observed], { cwd: work }).catch(() => '');
        if (parent !== proposal.baseCommit || !message.includes(`Drydock-Workflow: ${proposal.goalId}`)) {
          throw new GitHubApiError(
            `${proposal.branch} moved while drydock worked on it (now ${observed.slice(0, 12)}, expected ${proposal.baseCommit.slice(0, 12)}); run \`drydock revise\` again to start from the new head`,
            'BranchMoved',
          );
        }
      }
      // The lease makes the push fail instead of overwriting a branch that changed since ls-remote.
      await this.git(
        ['push', '--quiet', '--no-verify', `--force-with-lease=${ref}:${observed}`, '--', remote, `HEAD:${ref}`],
        env,
        token,
        context,
        work,
      );
      return commit;
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }

  /** Runs git with the auth header; failures become GitHubApiError without the token. */
  private async git(
    args: string[],
    env: Record<string, string>,
    token: string,
    context: GitHubCallContext,
    cwd?: string,
  ): Promise<string> {
    try {
      return await git(args, { cwd, env });
    } catch (err) {
      if (!(err instanceof GitCommandError)) throw err;
      const message = redactGitHubText(err.message, [token, ...this.options.auth.secrets()]);
      const where = `while ${context.action} on ${context.repository}`;
      if (/\b401\b|Authentication failed|could not read Username|invalid credentials/i.test(message)) {
        throw new GitHubApiError(
          `git was refused the credential ${where}: the token is invalid or expired (${message})`,
          'GitHubUnauthorized',
        );
      }
      if (/\b403\b|denied|not allowed|Write access/i.test(message)) {
        throw new GitHubApiError(
          `git was refused ${where}: the credential lacks "${context.permission}" (${message})`,
          'GitHubForbidden',
        );
      }
      if (/Remote branch .* not found|couldn't find remote ref|not found in upstream/i.test(message)) {
        throw new GitHubApiError(`git found no such branch ${where} (${message})`, 'InvalidRepository');
      }
      if (/stale info|rejected|fetch first|non-fast-forward/i.test(message)) {
        // Someone pushed between ls-remote and push: retry from a fresh look at the branch.
        throw new GitHubApiError(`git push was rejected ${where}; retrying (${message})`, 'GitPushRejected');
      }
      throw new GitHubApiError(`git failed ${where}: ${message}`, 'GitHubUnavailable');
    }
  }

  /** The open PR of the head branch, updated; or a new draft PR. */
  private async openOrUpdatePullRequest(
    target: GitHubRepository,
    proposal: ChangeProposal,
    session: GitHubSession,
  ): Promise<PullRequestData> {
    const findOpen = async (): Promise<PullRequestData | undefined> => {
      const { data } = await session.call({ action: 'listing pull requests', permission: PERMISSIONS.pulls }, (o) =>
        o.pulls.list({ ...target, head: `${target.owner}:${proposal.branch}`, state: 'open', per_page: 10 }),
      );
      return data[0] as PullRequestData | undefined;
    };
    const update = async (number: number): Promise<PullRequestData> => {
      if (proposal.pullRequestNumber !== undefined) {
        const { data } = await session.call(
          { action: `reading pull request #${number}`, permission: PERMISSIONS.pulls },
          (o) => o.pulls.get({ ...target, pull_number: number }),
        );
        return data as PullRequestData;
      }
      const { data } = await session.call(
        { action: `updating pull request #${number}`, permission: PERMISSIONS.pulls },
        (o) => o.pulls.update({ ...target, pull_number: number, title: proposal.title, body: proposal.body }),
      );
      return data as PullRequestData;
    };

    const existing = await findOpen();
    if (existing) return update(existing.number);
    if (proposal.pullRequestNumber !== undefined) {
      throw new GitHubApiError(
        `pull request #${proposal.pullRequestNumber} is no longer open on ${proposal.branch}; nothing to revise`,
        'GitHubNotFound',
      );
    }
    const create = (draft: boolean) =>
      session.call({ action: 'opening the pull request', permission: PERMISSIONS.pulls }, (o) =>
        o.pulls.create({
          ...target,
          title: proposal.title,
          body: proposal.body,
          head: proposal.branch,
          base: proposal.baseBranch,
          draft,
        }),
      );
    try {
      return (await create(true)).data as PullRequestData;
    } catch (err) {
      if (!(err instanceof GitHubApiError) || err.status !== 422) throw err;
      // Another attempt opened it first: update that one.
      if (/already exists/i.test(err.message)) {
        const raced = await findOpen();
        if (raced) return update(raced.number);
      }
      // Some plans have no draft pull requests: open a ready one instead.
      if (/draft/i.test(err.message)) return (await create(false)).data as PullRequestData;
      throw err;
    }
  }

  /** Comments on an issue or PR unless a comment with the marker is there already. */
  private async commentOnce(
    session: GitHubSession,
    target: GitHubRepository,
    number: number,
    marker: string,
    text: string,
  ): Promise<void> {
    const tag = `<!-- ${marker} -->`;
    const context = { action: `commenting on #${number}`, permission: PERMISSIONS.issues };
    const comments = await session.call(context, (o) =>
      o.paginate(o.issues.listComments, { ...target, issue_number: number, per_page: 100 }),
    );
    if (comments.some((c) => (c.body ?? '').includes(tag))) return;
    await session.call(context, (o) =>
      o.issues.createComment({ ...target, issue_number: number, body: `${text}\n\n${tag}` }),
    );
  }
}

/** The fields of a pull request drydock uses. */
interface PullRequestData {
  number: number;
  html_url: string;
  base: { ref: string };
}

interface GitHubSession {
  token: string;
  call<T>(context: Omit<GitHubCallContext, 'repository'>, run: (octokit: Octokit) => Promise<T>): Promise<T>;
}

function sameRepository(a: GitHubRepository, b: GitHubRepository): boolean {
  return a.owner.toLowerCase() === b.owner.toLowerCase() && a.repo.toLowerCase() === b.repo.toLowerCase();
}
