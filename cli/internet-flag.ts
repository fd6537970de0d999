/** `--internet` and `--internet-read-only`: the goal's agent-phase internet policy from the command line. */
import {
  INTERNET_PRESETS,
  READ_METHODS,
  domainProblem,
  type InternetPolicy,
  type InternetPreset,
} from '../workflows/internet-policy';
import { UsageError } from './errors';

/** What the two flags hold as parsed. */
export interface InternetFlags {
  /** `off`, or a comma-separated list of domains and presets. */
  internet?: string;
  internetReadOnly?: boolean;
}

/** The goal's internet policy the flags give (undefined: none given, the repository's environment file decides). */
export function internetFrom(f: InternetFlags): InternetPolicy | 'off' | undefined {
  if (f.internet === undefined) {
    if (f.internetReadOnly) throw new UsageError('--internet-read-only needs --internet <domains and presets>');
    return undefined;
  }
  const text = f.internet.trim();
  if (text === 'off') {
    if (f.internetReadOnly) throw new UsageError('--internet-read-only has no effect with --internet off');
    return 'off';
  }
  const entries = text.split(',').map((e) => e.trim());
  if (text === '' || entries.some((e) => e === ''))
    throw new UsageError(
      `--internet takes off or a comma-separated list of domains and presets (${INTERNET_PRESETS.join(', ')}), e.g. --internet package-registries,api.example.org`,
    );
  const presets: InternetPreset[] = [];
  const domains: string[] = [];
  for (const entry of entries) {
    if ((INTERNET_PRESETS as readonly string[]).includes(entry)) presets.push(entry as InternetPreset);
    else {
      const problem = domainProblem(entry);
      if (problem) throw new UsageError(`--internet: ${problem} (presets: ${INTERNET_PRESETS.join(', ')})`);
      domains.push(entry.toLowerCase());
    }
  }
  return {
    mode: 'allowlist',
    ...(domains.length > 0 ? { domains } : {}),
    ...(presets.length > 0 ? { presets } : {}),
    ...(f.internetReadOnly ? { methods: [...READ_METHODS] } : {}),
  };
}
