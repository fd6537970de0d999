/**
 * The agent phase's internet policy as data: what an allowlist entry may be,
 * how the environment file and the goal combine (the safer wins), and what the
 * egress proxy refuses before it dials anything.
 */
import http from 'node:http';
import net from 'node:net';
import { readEnvironmentFile } from '../../activities/environment/environment-file';
import { hostAllowed, refusal, startEgressProxy, type EgressLogEntry } from '../../activities/sandbox/egress-proxy';
import { pullRequestBody } from '../../activities/codehost/pr-body';
import { summarizeEgress } from '../../activities/shared/egress-summary';
import { combineInternet, domainProblem, normalizeInternet } from '../../workflows/internet-policy';
import { validateGoalInput } from '../../workflows/policy';

test('an allowlist entry is a host name or a leading wildcard; anything else says why', () => {
  for (const ok of ['example.org', 'Registry.NPMJS.org', '*.example.org', 'a-b.c-d.io'])
    expect(domainProblem(ok)).toBeUndefined();
  const problems: Record<string, RegExp> = {
    'https://example.org': /without a scheme/,
    'example.org:443': /without a port, path or user/,
    'example.org/path': /without a port, path or user/,
    '10.0.0.1': /an IP address is not allowed/,
    '[::1]': /without a port|IP address/,
    localhost: /at least two labels/,
    'a.*.org': /a wildcard may only lead/,
    '*': /a wildcard may only lead|at least two labels/,
    'exa mple.org': /without a port, path or user/,
    '-bad.org': /letters, digits and inner hyphens/,
    'example.123': /last label must not be numeric/,
    '': /empty/,
  };
  for (const [entry, why] of Object.entries(problems)) expect(domainProblem(entry)).toMatch(why);
  expect(domainProblem(42)).toMatch(/is not a domain/);
});

test('the environment file takes `internet`, and every bad entry is one line naming its key path', () => {
  const good = readEnvironmentFile(
    JSON.stringify({ internet: { mode: 'allowlist', domains: ['Example.org'], presets: ['package-registries'] } }),
  );
  expect(good).toMatchObject({
    ok: true,
    file: { internet: { mode: 'allowlist', domains: ['example.org'], presets: ['package-registries'] } },
  });
  expect(readEnvironmentFile(JSON.stringify({ internet: 'off' }))).toMatchObject({
    ok: true,
    file: { internet: { mode: 'off' } },
  });
  const bad = readEnvironmentFile(
    JSON.stringify({
      internet: { mode: 'allowlist', domains: ['ok.org', '1.2.3.4'], presets: ['pypi'], methods: ['POST'], proxy: 1 },
    }),
  );
  expect(bad).toEqual({
    ok: false,
    problems: [
      '.drydock/environment.json: internet: unknown key "proxy" (known keys: mode, domains, presets, methods)',
      '.drydock/environment.json: internet.domains[1]: "1.2.3.4" is not a domain: an IP address is not allowed, name a domain',
      '.drydock/environment.json: internet.presets[0]: "pypi" is not a preset (known: package-registries)',
      '.drydock/environment.json: internet.methods[0]: "POST" is not one of GET, HEAD, OPTIONS',
    ],
  });
});

test("the goal's internet is checked at the start like the rest of its input", () => {
  const base = { repository: '/tmp/repo', goal: 'do it' };
  expect(validateGoalInput({ ...base, internet: { mode: 'allowlist', domains: ['example.org'] } })).toEqual([]);
  expect(validateGoalInput({ ...base, internet: { mode: 'allowlist', domains: ['http://x.org'] } })).toEqual([
    'internet.domains[0]: "http://x.org" is not a domain: write the host name alone, without a scheme',
  ]);
  expect(validateGoalInput({ ...base, internet: 'on' })).toEqual([
    'internet: must be "off" or { "mode": "allowlist", "domains": [...], "presets": [...], "methods": [...] }',
  ]);
});

test('the safer policy wins: off beats an allowlist, two allowlists must both allow, methods narrow', () => {
  const repo = normalizeInternet({ mode: 'allowlist', domains: ['a.org', '*.b.org'], presets: ['package-registries'] });
  const goal = normalizeInternet({ mode: 'allowlist', domains: ['x.b.org'], methods: ['GET', 'HEAD'] });
  expect(combineInternet(undefined, undefined)).toBeUndefined();
  expect(combineInternet(repo, normalizeInternet('off'))).toBeUndefined();
  expect(combineInternet(normalizeInternet('off'), goal)).toBeUndefined();
  const both = combineInternet(repo, goal)!;
  expect(both.methods).toEqual(['GET', 'HEAD']);
  expect(hostAllowed(both, 'x.b.org')).toBe(true);
  expect(hostAllowed(both, 'a.org')).toBe(false);
  expect(hostAllowed(both, 'registry.npmjs.org')).toBe(false);
  const repoOnly = combineInternet(repo, undefined)!;
  expect(repoOnly.methods).toBeUndefined();
  expect(hostAllowed(repoOnly, 'registry.npmjs.org')).toBe(true);
  expect(hostAllowed(repoOnly, 'b.org')).toBe(false);
  expect(hostAllowed(repoOnly, 'deep.x.b.org')).toBe(true);
  expect(hostAllowed(repoOnly, 'evilb.org')).toBe(false);
  expect(hostAllowed(repoOnly, 'a.org.evil.com')).toBe(false);
  // The goal alone may set it when the repository says nothing.
  expect(hostAllowed(combineInternet(undefined, goal)!, 'x.b.org')).toBe(true);
});

test('the proxy refuses, before dialling, hosts off the list, raw IPs, other ports and unlisted methods', () => {
  const policy = combineInternet(
    normalizeInternet({ mode: 'allowlist', domains: ['example.org'], methods: ['GET', 'HEAD', 'OPTIONS'] }),
    undefined,
  )!;
  expect(refusal(policy, 'CONNECT', 'example.org', 443)).toBeUndefined();
  expect(refusal(policy, 'GET', 'example.org', 80)).toBeUndefined();
  expect(refusal(policy, 'CONNECT', 'other.org', 443)).toMatch(
    /^drydock internet policy: other\.org is not on this goal's allowlist .*allowed: example\.org$/,
  );
  expect(refusal(policy, 'CONNECT', '93.184.216.34', 443)).toMatch(/is a raw IP address/);
  expect(refusal(policy, 'CONNECT', '[2606:2800::1]', 443)).toMatch(/is a raw IP address/);
  expect(refusal(policy, 'CONNECT', 'example.org', 22)).toMatch(/port 22 is refused/);
  expect(refusal(policy, 'POST', 'example.org', 80)).toBe(
    'drydock internet policy: POST is refused; this goal may only GET, HEAD, OPTIONS',
  );
});

test('a refused request answers 403 at once with the policy in its text, and is logged', async () => {
  const log: EgressLogEntry[] = [];
  const policy = combineInternet(normalizeInternet({ mode: 'allowlist', domains: ['example.org'] }), undefined)!;
  const proxy = await startEgressProxy({ host: '127.0.0.1', port: 0, policy, onRequest: (e) => log.push(e) });
  try {
    const answer = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      http
        .get(
          { host: '127.0.0.1', port: proxy.port, path: 'http://not-listed.org/x', headers: { host: 'x' } },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode, body }));
          },
        )
        .on('error', reject);
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain("drydock internet policy: not-listed.org is not on this goal's allowlist");
    const tunnel = await new Promise<string>((resolve) => {
      const socket = net.connect(proxy.port, '127.0.0.1', () =>
        socket.write('CONNECT 10.0.0.1:443 HTTP/1.1\r\nhost: 10.0.0.1:443\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('close', () => resolve(text));
    });
    expect(tunnel).toMatch(/^HTTP\/1\.1 403 Forbidden by drydock internet policy\r\n/);
    expect(tunnel).toContain('10.0.0.1 is a raw IP address');
    expect(log.map((e) => [e.method, e.host, e.status])).toEqual([
      ['GET', 'not-listed.org', 403],
      ['CONNECT', '10.0.0.1', 403],
    ]);
  } finally {
    await proxy.close();
  }
});

test('the PR body summarises the egress log per host, and shows no hostile host name', () => {
  const line = (o: object) => JSON.stringify({ at: 't', port: 443, bytesOut: 10, ...o });
  const summary = summarizeEgress([
    {
      key: 'goals/g/egress/c.jsonl',
      text: [
        line({ host: 'registry.npmjs.org', method: 'CONNECT', status: 200, bytesIn: 2048 }),
        line({ host: 'registry.npmjs.org', method: 'CONNECT', status: 200, bytesIn: 2048 }),
        line({ host: 'evil.org`](x)', method: 'CONNECT', status: 403, bytesIn: 0 }),
        'not json',
      ].join('\n'),
    },
  ]);
  const body = pullRequestBody({
    goalId: 'g',
    goal: 'g',
    summary: 's',
    rationale: 'r',
    files: [],
    checks: [],
    usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
    iterations: 1,
    internet: summary,
  });
  expect(body).toContain('## Internet (agent phase)');
  expect(body).toContain('3 requests, 1 refused by the policy. Full log: `goals/g/egress/c.jsonl`.');
  expect(body).toContain('| `registry.npmjs.org` | 2 | 0 | 4.0 KiB | 20 B |');
  expect(body).toContain('| `(not a host name)` | 1 | 1 | 0 B | 10 B |');
  expect(body).not.toContain('evil.org');
});
