/**
 * readPullRequests: the local code host's PR records, read where they live
 * (the agent worker's DRYDOCK_DATA_DIR/prs) for a client on any machine
 * (`drydock pr list` / `pr show`, through the pullRequests workflow).
 */
import type { PullRequestRecord, PullRequestRecords } from '../codehost/pr-record';

/** What the pull-request activities need. */
export interface PullRequestActivityDeps {
  /** The local code host's PR records. */
  pullRequestRecords: PullRequestRecords;
}

/** What a client asks for: every record, or one by PR id, head branch (`drydock/<id>`) or goal (workflow) id. */
export type PullRequestsRequest = { action: 'list' } | { action: 'show'; id: string };

/** A PR record without its body (the list). */
export type PullRequestSummary = Omit<PullRequestRecord, 'body'>;

/** The answer: the records newest first with the folder they live in, or the one record asked for (absent when none matches). */
export type PullRequestsAnswer =
  { action: 'list'; directory: string; records: PullRequestSummary[] } | { action: 'show'; record?: PullRequestRecord };

/** The agent queue's pull-request activities. */
export function createPullRequestActivities(deps: PullRequestActivityDeps) {
  const records = deps.pullRequestRecords;
  return {
    /** Lists the records (without bodies) or finds one; reads only. */
    async readPullRequests(request: PullRequestsRequest): Promise<PullRequestsAnswer> {
      if (request.action === 'list') {
        const all = await records.list();
        return { action: 'list', directory: records.dir, records: all.map(({ body: _body, ...summary }) => summary) };
      }
      return { action: 'show', record: await findPullRequest(records, request.id) };
    },
  };
}

/** The record a PR id, its head branch or its goal's workflow id names (the newest of that goal's). */
async function findPullRequest(records: PullRequestRecords, id: string): Promise<PullRequestRecord | undefined> {
  const byId = await records.read(id.replace(/^drydock\//, ''));
  if (byId) return byId;
  return (await records.list()).find((r) => r.goalId === id);
}
