/**
 * `npm run bench:chaos`: the chaos run (bench/chaos-run.ts) with more goals and
 * kills than the CI test; prints the figures as JSON and one line per figure.
 * Needs `npm run build` first. CHAOS_GOALS, CHAOS_KILLS and CHAOS_SEED override.
 */
import * as path from 'path';
import { runChaos } from './chaos-run';

/** "chaos-x7 → chaos-x7: 1": how many goals moved between which hosts, or "none". */
function reprovisionedHosts(goals: { hosts: string[] }[]): string {
  const counts = new Map<string, number>();
  for (const g of goals) counts.set(g.hosts.join(' → '), (counts.get(g.hosts.join(' → ')) ?? 0) + 1);
  return counts.size === 0 ? 'none' : [...counts].map(([hosts, n]) => `${hosts}: ${n}`).join(', ');
}

void (async () => {
  try {
    const figures = await runChaos({
      goals: Number(process.env.CHAOS_GOALS ?? 5),
      kills: Number(process.env.CHAOS_KILLS ?? 5),
      seed: Number(process.env.CHAOS_SEED ?? 7),
      workersDir: path.join(__dirname, '..'),
      log: (line) => console.log(`chaos: ${line}`),
    });
    console.log(JSON.stringify(figures, null, 2));
    const ok =
      figures.succeeded === figures.goals &&
      figures.duplicatePrs === 0 &&
      figures.diffsEqual === figures.goals &&
      figures.containersLeft.length === 0 &&
      figures.maxCallsPerStep <= figures.kills + 1;
    console.log(
      `goals ${figures.goals} · kills ${figures.kills} · container losses ${figures.containerLosses} · server restarts ${figures.serverRestarts} · completed ${figures.completed} · succeeded ${figures.succeeded} · duplicate PRs ${figures.duplicatePrs} · diffs equal ${figures.diffsEqual}/${figures.goals} · containers left ${figures.containersLeft.length} · extra model calls ${figures.extraModelCalls} (max ${figures.maxCallsPerStep} per step) · re-provisioned ${figures.reprovisioned.length} (${reprovisionedHosts(figures.reprovisioned)})`,
    );
    process.exitCode = ok ? 0 : 1;
  } catch (err) {
    console.error(`bench:chaos failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  }
})();
