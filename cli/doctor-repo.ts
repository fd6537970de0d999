/**
 * `drydock doctor --repo <path>`: what drydock would do for a local repository
 * at HEAD (environment file, setup, checks and why, env, toolchains, services,
 * the agent phase's internet),
 * read from the commit as a sandbox worker reads a goal's base commit, without
 * starting a goal or needing a worker.
 */
import { readNodeHints } from '../activities/environment/node-hints';
import { nodeRequestOf } from '../activities/environment/node-version';
import { existsSync } from 'fs';
import * as path from 'path';
import { ApplicationFailure } from '@temporalio/common';
import { git } from '../activities/codehost/git';
import { checksFromInstructions, detectChecks, VENV_FOLDERS } from '../activities/environment/detect-checks';
import { ENVIRONMENT_FILE, readEnvironmentFile } from '../activities/environment/environment-file';
import { readCommitFacts, readEnvironmentText } from '../activities/environment/repository-facts';
import type { ServiceSpec } from '../activities/sandbox/services';
import type { InternetPolicy } from '../workflows/internet-policy';
import { UsageError } from './errors';
import { printJson, printText } from './output';

/** Where a check comes from, in the order drydock looks. */
export type CheckSource = 'environment file' | 'AGENTS.md' | 'detected';

/** What drydock would do for a repository. */
export interface RepositoryReport {
  repository: string;
  commit: string;
  environmentFile: { present: boolean; valid: boolean; problems: string[] };
  setup?: string;
  checks: { command: string; source: CheckSource; reason?: string }[];
  env: Record<string, string>;
  /** The Node the repository asks for (environment file, .nvmrc, .node-version, engines.node), with where it came from. */
  toolchains: { node?: string; nodeSource?: string; nodeRange?: boolean };
  services: ServiceSpec[];
  /** The agent phase's internet as the file gives it (off when absent). */
  internet: InternetPolicy;
}

/** Reads a local repository at HEAD; a path that is not a git repository with a commit is a UsageError. */
export async function repositoryReport(repo: string): Promise<RepositoryReport> {
  const dir = path.resolve(repo);
  if (!existsSync(dir)) throw new UsageError(`--repo: no such directory ${dir}`);
  let commit: string;
  try {
    commit = (await git(['rev-parse', '--verify', 'HEAD^{commit}'], { cwd: dir, isolated: true })).trim();
  } catch {
    throw new UsageError(`--repo: ${dir} is not a git repository with a commit at HEAD`);
  }
  const report: RepositoryReport = {
    repository: dir,
    commit,
    environmentFile: { present: false, valid: true, problems: [] },
    checks: [],
    env: {},
    toolchains: {},
    services: [],
    internet: { mode: 'off' },
  };
  let text: string | null;
  try {
    text = await readEnvironmentText(dir, commit);
  } catch (err) {
    if (!(err instanceof ApplicationFailure)) throw err;
    report.environmentFile = { present: true, valid: false, problems: [err.message] };
    return report;
  }
  const reading = readEnvironmentFile(text);
  report.environmentFile.present = text !== null;
  if (!reading.ok) {
    report.environmentFile = { present: true, valid: false, problems: reading.problems };
    return report;
  }
  const file = reading.file;
  Object.assign(report, {
    setup: file.setup,
    env: file.env,
    services: file.services,
    internet: file.internet ?? { mode: 'off' },
  });
  const node = nodeRequestOf(file.toolchains.node, await readNodeHints(dir, commit));
  if (node) report.toolchains = { node: node.spec, nodeSource: node.source, nodeRange: node.kind === 'range' };
  const facts = await readCommitFacts(dir, commit);
  if (file.checks) report.checks = file.checks.map((command) => ({ command, source: 'environment file' }));
  else {
    const named = facts.agents ? checksFromInstructions(facts.agents) : [];
    if (named.length > 0) report.checks = named.map((command) => ({ command, source: 'AGENTS.md' }));
    else
      report.checks = detectChecks(facts).map((c) => ({
        command: c.command,
        source: 'detected',
        // Whether setup leaves a virtualenv is known only after it ran.
        reason: c.command.includes('pytest')
          ? `${c.reason}; if setup leaves a virtualenv in ${VENV_FOLDERS.join(' or ')}, its python runs pytest (${VENV_FOLDERS[0]}/bin/python -m pytest -q)`
          : c.reason,
      }));
  }
  return report;
}

/** Prints the report of `drydock doctor --repo`; returns the exit code (1 for an invalid environment file). */
export async function doctorRepository(repo: string, json: boolean): Promise<number> {
  const report = await repositoryReport(repo);
  const code = report.environmentFile.valid ? 0 : 1;
  if (json) {
    printJson(report);
    return code;
  }
  const lines: [string, string][] = [['repository', `${report.repository} at ${report.commit.slice(0, 12)} (HEAD)`]];
  const f = report.environmentFile;
  if (!f.valid) {
    lines.push([
      'environment',
      `✘ ${ENVIRONMENT_FILE} is invalid; a goal on this commit fails with InvalidEnvironment:`,
    ]);
    for (const problem of f.problems.flatMap((p) => p.split('\n'))) lines.push(['', `  ${problem}`]);
    printLines(lines);
    return code;
  }
  lines.push(['environment', f.present ? `✔ ${ENVIRONMENT_FILE} is valid` : `no ${ENVIRONMENT_FILE} (defaults)`]);
  lines.push(['setup', report.setup ? indented(report.setup) : 'none']);
  if (report.checks.length === 0)
    lines.push(['checks', 'none found: a goal fails unless it is given --check "<command>"']);
  report.checks.forEach((c, i) =>
    lines.push([i === 0 ? 'checks' : '', `${c.command}  (${c.source}${c.reason ? `: ${c.reason}` : ''})`]),
  );
  const env = Object.entries(report.env);
  if (env.length === 0) lines.push(['env', 'none']);
  env.forEach(([name, value], i) => lines.push([i === 0 ? 'env' : '', `${name}=${value}`]));
  const t = report.toolchains;
  lines.push([
    'toolchains',
    t.node
      ? `node ${t.node} (${t.nodeSource}${t.nodeRange ? "; installed only when the image's Node does not satisfy it" : ''})`
      : "the sandbox image's",
  ]);
  if (report.services.length === 0) lines.push(['services', 'none']);
  report.services.forEach((s, i) =>
    lines.push([i === 0 ? 'services' : '', `${s.name}: ${s.command}${s.image ? ` (image ${s.image})` : ''}`]),
  );
  lines.push(['internet', internetText(report.internet)]);
  lines.push(['', `a goal's --setup and --check override the file's setup and checks`]);
  printLines(lines);
  return code;
}

function printLines(lines: [string, string][]): void {
  for (const [label, value] of lines) printText(`${label.padEnd(12)} ${value}\n`);
}

/** A multi-line script indented under its label. */
function indented(script: string): string {
  return script.split('\n').join(`\n${' '.repeat(13)}`);
}

/** The agent phase's internet in one line. */
function internetText(p: InternetPolicy): string {
  if (p.mode === 'off') return 'off (the agent phase has no network but its services)';
  const hosts = [...(p.presets ?? []).map((n) => `preset ${n}`), ...(p.domains ?? [])];
  const methods = p.methods ? `; plain http ${p.methods.join(', ')} only` : '';
  return `allowlist through the egress proxy: ${hosts.length > 0 ? hosts.join(', ') : 'nothing'}${methods}`;
}
