/** `drydock start --internet`: the flag's words become the goal's policy, or a clear error naming the flag. */
import { internetFrom } from '../../cli/internet-flag';
import { allowedEntries, internetText } from '../../activities/host/internet-text';
import { combineInternet, normalizeInternet } from '../../workflows/internet-policy';
import { EGRESS_PRESETS } from '../../activities/sandbox/egress-presets';

test('no flag leaves the policy to the repository; off and lists parse', () => {
  expect(internetFrom({})).toBeUndefined();
  expect(internetFrom({ internet: 'off' })).toBe('off');
  expect(internetFrom({ internet: 'package-registries, API.example.org' })).toEqual({
    mode: 'allowlist',
    domains: ['api.example.org'],
    presets: ['package-registries'],
  });
  expect(internetFrom({ internet: '*.example.org', internetReadOnly: true })).toEqual({
    mode: 'allowlist',
    domains: ['*.example.org'],
    methods: ['GET', 'HEAD', 'OPTIONS'],
  });
});

test('bad values name the flag and say why', () => {
  expect(() => internetFrom({ internet: '' })).toThrow(/--internet takes off or a comma-separated list/);
  expect(() => internetFrom({ internet: 'example.org,' })).toThrow(/--internet takes off/);
  expect(() => internetFrom({ internet: '10.0.0.1' })).toThrow(/--internet: "10.0.0.1" is not a domain: an IP address/);
  expect(() => internetFrom({ internet: 'https://example.org' })).toThrow(/without a scheme/);
  expect(() => internetFrom({ internet: 'registries' })).toThrow(/at least two labels.*presets: package-registries/);
  expect(() => internetFrom({ internetReadOnly: true })).toThrow(/--internet-read-only needs --internet/);
  expect(() => internetFrom({ internet: 'off', internetReadOnly: true })).toThrow(/no effect with --internet off/);
});

test('the model is told the hosts both lists allow, presets spelt out, and the methods', () => {
  const repo = normalizeInternet({ mode: 'allowlist', presets: ['package-registries'], domains: ['*.example.org'] });
  const goal = normalizeInternet({
    mode: 'allowlist',
    domains: ['api.example.org', 'other.net', EGRESS_PRESETS['package-registries'][0]],
    methods: ['GET'],
  });
  const both = combineInternet(repo, goal)!;
  expect(allowedEntries(both)).toEqual(['api.example.org', EGRESS_PRESETS['package-registries'][0]].sort());
  const text = internetText(both);
  expect(text).toContain('only these hosts: ');
  expect(text).not.toContain('other.net');
  expect(text).toContain('plain-http methods: GET');
  // A list alone: every preset host is named.
  const alone = internetText(combineInternet(repo, undefined)!);
  for (const host of EGRESS_PRESETS['package-registries']) expect(alone).toContain(host);
  expect(alone).toContain('*.example.org');
  expect(alone).not.toContain('methods');
});
