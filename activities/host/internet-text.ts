/** The agent phase's internet policy in words, for the model's rules (it cannot see the proxy's list otherwise). */
import { domainMatches, type EffectiveInternet } from '../../workflows/internet-policy';
import { EGRESS_PRESETS } from '../sandbox/egress-presets';

/** At most this many host names are spelt out; the rest are counted. */
const MAX_LISTED = 40;

/** One list's entries with its presets expanded. */
function entriesOf(list: EffectiveInternet['lists'][number]): string[] {
  return [...new Set([...list.domains, ...list.presets.flatMap((p) => EGRESS_PRESETS[p])])];
}

/** True when an entry of one list is allowed by another list (a wildcard only by a wildcard that covers it). */
function allowedBy(entry: string, entries: string[]): boolean {
  const host = entry.startsWith('*.') ? entry.slice(2) : entry;
  return entries.some(
    (e) => e === entry || (domainMatches(host, e) && (!entry.startsWith('*.') || e.startsWith('*.'))),
  );
}

/** The hosts every list allows (as entries: names and leading wildcards), sorted. */
export function allowedEntries(internet: EffectiveInternet): string[] {
  const lists = internet.lists.map(entriesOf);
  if (lists.length === 0) return [];
  const both = new Set<string>();
  for (const list of lists)
    for (const entry of list) if (lists.every((other) => other === list || allowedBy(entry, other))) both.add(entry);
  return [...both].sort();
}

/** A sentence for the system prompt: which hosts the sandbox reaches, through what, with which methods. */
export function internetText(internet: EffectiveInternet): string {
  const entries = allowedEntries(internet);
  const listed =
    entries.length === 0
      ? 'no host (the lists given leave none)'
      : entries.slice(0, MAX_LISTED).join(', ') +
        (entries.length > MAX_LISTED ? ` and ${entries.length - MAX_LISTED} more` : '');
  const methods = internet.methods ? `; plain-http methods: ${internet.methods.join(', ')}` : '';
  return (
    `The sandbox reaches the internet only through an HTTP(S) proxy (HTTP_PROXY and HTTPS_PROXY are set in the shell), ` +
    `and only these hosts: ${listed}${methods}. Anything else is refused with a message; there is no direct DNS.`
  );
}
