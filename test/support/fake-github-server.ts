/**
 * A recording fake of the GitHub REST endpoints drydock calls (real HTTP on
 * 127.0.0.1, for the real Octokit client): issues and their comments, labels,
 * pull requests (one open PR per head branch, as GitHub enforces), review
 * comments and reviews, and GitHub App installation tokens. Faults (401, 403
 * with rate-limit headers, 5xx) can be injected per route. Branch heads are
 * read from local bare repositories under gitRoot (`<owner>/<repo>.git`).
 */
import { execFileSync } from 'child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import { verify, type KeyObject } from 'crypto';
import type { AddressInfo } from 'net';

/** One request the fake received. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string;
  body: unknown;
  status: number;
  at: number;
}

/** A fault served instead of the real answer. */
export interface Fault {
  method?: string;
  path: RegExp;
  status: number;
  headers?: Record<string, string>;
  message?: string;
  /** How many requests it answers (default 1). */
  times?: number;
}

interface Comment {
  id: number;
  body: string;
  user: { login: string };
}

interface PullRequest {
  number: number;
  owner: string;
  repo: string;
  title: string;
  body: string;
  head: string;
  base: string;
  draft: boolean;
  state: 'open' | 'closed';
}

/** A review comment as the REST API returns it (only the fields drydock reads). */
export interface ReviewComment {
  id: number;
  path: string;
  line: number | null;
  position: number | null;
  body: string;
  in_reply_to_id?: number;
  user: { login: string };
  commit_id?: string;
}

/** A review as the REST API returns it. */
export interface Review {
  id: number;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED';
  body: string;
  commit_id: string;
  user: { login: string };
}

/** Options of the fake. */
export interface FakeGitHubOptions {
  /** Tokens accepted as `token <t>` (a PAT). */
  tokens?: string[];
  /** A GitHub App: JWTs verified with its public key; installation tokens are minted per request. */
  app?: { id: string; publicKey: KeyObject; installationId: number; tokenTtlMs?: number };
  /** Folder of bare repositories `<owner>/<repo>.git`, for PR head commits. */
  gitRoot?: string;
}

/** The running fake. */
export interface FakeGitHub {
  url: string;
  requests: RecordedRequest[];
  faults: Fault[];
  /** Installation tokens minted so far. */
  issuedTokens: string[];
  addIssue(owner: string, repo: string, title: string, body: string): number;
  addPullRequest(owner: string, repo: string, pr: { title: string; body: string; head: string; base: string }): number;
  addReviewComment(owner: string, repo: string, number: number, c: Omit<ReviewComment, 'id'>): number;
  addReview(owner: string, repo: string, number: number, r: Omit<Review, 'id'>): number;
  pulls(): PullRequest[];
  labels(owner: string, repo: string, number: number): string[];
  comments(owner: string, repo: string, number: number): Comment[];
  /** Requests whose method and path match. */
  matching(method: string, path: RegExp): RecordedRequest[];
  close(): Promise<void>;
}

/** Starts the fake on a free port of 127.0.0.1. */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const issuedTokens: string[] = [];
  const tokens = new Set(options.tokens ?? []);
  const numbers = new Map<string, number>();
  const issues = new Map<string, { title: string; body: string }>();
  const pulls: PullRequest[] = [];
  const comments = new Map<string, Comment[]>();
  const labels = new Map<string, Set<string>>();
  const reviewComments = new Map<string, ReviewComment[]>();
  const reviews = new Map<string, Review[]>();
  let nextId = 1000;
  let url = '';

  const key = (o: string, r: string, n: number) => `${o}/${r}#${n}`.toLowerCase();
  const nextNumber = (o: string, r: string) => {
    const k = `${o}/${r}`.toLowerCase();
    const n = (numbers.get(k) ?? 0) + 1;
    numbers.set(k, n);
    return n;
  };
  const headSha = (o: string, r: string, ref: string): string => {
    if (!options.gitRoot) return '0'.repeat(40);
    try {
      return execFileSync('git', ['--git-dir', `${options.gitRoot}/${o}/${r}.git`, 'rev-parse', `refs/heads/${ref}`], {
        encoding: 'utf8',
      }).trim();
    } catch {
      return '0'.repeat(40);
    }
  };
  const webUrl = (o: string, r: string, kind: string, n: number) => `https://github.example/${o}/${r}/${kind}/${n}`;
  const pullJson = (p: PullRequest) => ({
    number: p.number,
    state: p.state,
    title: p.title,
    body: p.body,
    draft: p.draft,
    html_url: webUrl(p.owner, p.repo, 'pull', p.number),
    head: {
      ref: p.head,
      sha: headSha(p.owner, p.repo, p.head),
      label: `${p.owner}:${p.head}`,
      repo: { full_name: `${p.owner}/${p.repo}` },
    },
    base: { ref: p.base, repo: { full_name: `${p.owner}/${p.repo}` } },
    labels: [...(labels.get(key(p.owner, p.repo, p.number)) ?? [])].map((name) => ({ name })),
  });

  const verifyJwt = (jwt: string): boolean => {
    if (!options.app) return false;
    const [h, p, sig] = jwt.split('.');
    if (!h || !p || !sig) return false;
    if (!verify('RSA-SHA256', Buffer.from(`${h}.${p}`), options.app.publicKey, Buffer.from(sig, 'base64url')))
      return false;
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { iss?: string; exp?: number };
    return claims.iss === options.app.id && (claims.exp ?? 0) * 1000 > Date.now();
  };

  const handle = (
    method: string,
    path: string,
    query: URLSearchParams,
    auth: string | undefined,
    body: Record<string, unknown>,
  ): [number, unknown, Record<string, string>?] => {
    const [scheme, credential] = (auth ?? '').split(' ');
    const isJwt = scheme?.toLowerCase() === 'bearer' && credential !== undefined && verifyJwt(credential);
    if (path.startsWith('/app/') || /^\/repos\/[^/]+\/[^/]+\/installation$/.test(path)) {
      if (!isJwt) return [401, { message: 'A JSON web token could not be decoded' }];
    } else if (!(scheme?.toLowerCase() === 'token' && credential !== undefined && tokens.has(credential))) {
      return [401, { message: 'Bad credentials' }];
    }
    let m: RegExpExecArray | null;
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(path)) && method === 'GET')
      return [200, { id: options.app?.installationId }];
    if ((m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path)) && method === 'POST') {
      if (Number(m[1]) !== options.app?.installationId) return [404, { message: 'Not Found' }];
      const token = `ghs_fake${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
      tokens.add(token);
      issuedTokens.push(token);
      return [
        201,
        {
          token,
          expires_at: new Date(Date.now() + (options.app.tokenTtlMs ?? 3600_000)).toISOString(),
          repositories: body.repositories,
        },
      ];
    }
    if (!(m = /^\/repos\/([^/]+)\/([^/]+)\/(.*)$/.exec(path))) return [404, { message: 'Not Found' }];
    const [, o = '', r = '', rest = ''] = m;
    if ((m = /^issues\/(\d+)$/.exec(rest)) && method === 'GET') {
      const n = Number(m[1]);
      const issue = issues.get(key(o, r, n));
      const pr = pulls.find((p) => p.owner === o && p.repo === r && p.number === n);
      if (issue)
        return [
          200,
          { number: n, title: issue.title, body: issue.body, html_url: webUrl(o, r, 'issues', n), state: 'open' },
        ];
      if (pr)
        return [
          200,
          { number: n, title: pr.title, body: pr.body, html_url: webUrl(o, r, 'pull', n), pull_request: { url: '' } },
        ];
      return [404, { message: 'Not Found' }];
    }
    if ((m = /^issues\/(\d+)\/comments$/.exec(rest))) {
      const k = key(o, r, Number(m[1]));
      if (!issues.has(k) && !pulls.some((p) => key(p.owner, p.repo, p.number) === k))
        return [404, { message: 'Not Found' }];
      const list = comments.get(k) ?? [];
      comments.set(k, list);
      if (method === 'GET') return [200, list];
      if (method === 'POST') {
        const c = { id: nextId++, body: String(body.body ?? ''), user: { login: 'drydock[bot]' } };
        list.push(c);
        return [201, c];
      }
    }
    if ((m = /^issues\/(\d+)\/labels$/.exec(rest)) && method === 'POST') {
      const k = key(o, r, Number(m[1]));
      const set = labels.get(k) ?? new Set<string>();
      labels.set(k, set);
      for (const l of (body.labels as string[] | undefined) ?? []) set.add(l);
      return [200, [...set].map((name) => ({ name }))];
    }
    if (rest === 'pulls' && method === 'GET') {
      const head = query.get('head');
      const state = query.get('state') ?? 'open';
      return [
        200,
        pulls
          .filter(
            (p) =>
              p.owner === o &&
              p.repo === r &&
              (!head || `${p.owner}:${p.head}` === head) &&
              (state === 'all' || p.state === state),
          )
          .map(pullJson),
      ];
    }
    if (rest === 'pulls' && method === 'POST') {
      const head = String(body.head ?? '');
      if (pulls.some((p) => p.owner === o && p.repo === r && p.head === head && p.state === 'open')) {
        return [
          422,
          {
            message: 'Validation Failed',
            errors: [
              { resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${o}:${head}.` },
            ],
          },
        ];
      }
      if (headSha(o, r, head) === '0'.repeat(40) && options.gitRoot)
        return [
          422,
          { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }] },
        ];
      const p: PullRequest = {
        number: nextNumber(o, r),
        owner: o,
        repo: r,
        title: String(body.title),
        body: String(body.body ?? ''),
        head,
        base: String(body.base),
        draft: body.draft === true,
        state: 'open',
      };
      pulls.push(p);
      return [201, pullJson(p)];
    }
    if ((m = /^pulls\/(\d+)$/.exec(rest))) {
      const p = pulls.find((x) => x.owner === o && x.repo === r && x.number === Number(m![1]));
      if (!p) return [404, { message: 'Not Found' }];
      if (method === 'GET') return [200, pullJson(p)];
      if (method === 'PATCH') {
        if (typeof body.title === 'string') p.title = body.title;
        if (typeof body.body === 'string') p.body = body.body;
        return [200, pullJson(p)];
      }
    }
    if ((m = /^pulls\/(\d+)\/comments$/.exec(rest)) && method === 'GET')
      return [200, reviewComments.get(key(o, r, Number(m[1]))) ?? []];
    if ((m = /^pulls\/(\d+)\/reviews$/.exec(rest)) && method === 'GET')
      return [200, reviews.get(key(o, r, Number(m[1]))) ?? []];
    return [404, { message: `Not Found (fake: ${method} ${path})` }];
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      let body: Record<string, unknown> = {};
      try {
        body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>) : {};
      } catch {
        body = {};
      }
      const fault = faults.find(
        (f) => (!f.method || f.method === method) && f.path.test(u.pathname) && (f.times ?? 1) > 0,
      );
      let status: number;
      let payload: unknown;
      let headers: Record<string, string> = {};
      if (fault) {
        fault.times = (fault.times ?? 1) - 1;
        [status, payload, headers] = [
          fault.status,
          { message: fault.message ?? 'injected fault' },
          fault.headers ?? {},
        ];
      } else {
        const answer = handle(method, u.pathname, u.searchParams, req.headers.authorization, body);
        [status, payload, headers] = [answer[0], answer[1], answer[2] ?? {}];
      }
      requests.push({
        method,
        path: u.pathname,
        query: Object.fromEntries(u.searchParams),
        authorization: req.headers.authorization,
        body,
        status,
        at: Date.now(),
      });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    faults,
    issuedTokens,
    addIssue(owner, repo, title, body) {
      const n = nextNumber(owner, repo);
      issues.set(key(owner, repo, n), { title, body });
      return n;
    },
    addPullRequest(owner, repo, pr) {
      const p: PullRequest = { number: nextNumber(owner, repo), owner, repo, ...pr, draft: true, state: 'open' };
      pulls.push(p);
      return p.number;
    },
    addReviewComment(owner, repo, number, c) {
      const list = reviewComments.get(key(owner, repo, number)) ?? [];
      reviewComments.set(key(owner, repo, number), list);
      const id = nextId++;
      list.push({ id, ...c });
      return id;
    },
    addReview(owner, repo, number, r) {
      const list = reviews.get(key(owner, repo, number)) ?? [];
      reviews.set(key(owner, repo, number), list);
      const id = nextId++;
      list.push({ id, ...r });
      return id;
    },
    pulls: () => pulls,
    labels: (owner, repo, number) => [...(labels.get(key(owner, repo, number)) ?? [])],
    comments: (owner, repo, number) => comments.get(key(owner, repo, number)) ?? [],
    matching: (method, path) => requests.filter((r) => r.method === method && path.test(r.path)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
