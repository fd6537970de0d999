/** Docker helpers for tests: find the containers drydock left behind. */
import Dockerode from 'dockerode';
import { containerNameFor } from '../../activities/sandbox/names';

/** The shared dockerode client of the tests. */
export const docker = new Dockerode();

/**
 * Names of the containers (running or not) of this goal: labelled with its id
 * (a cold sandbox) or carrying its deterministic name (a warm one taken from the
 * pool keeps the pool's labels, since Docker cannot relabel a container).
 */
export async function containersOfGoal(goalId: string): Promise<string[]> {
  const [labelled, named] = await Promise.all([
    docker.listContainers({ all: true, filters: { label: [`drydock.goal=${goalId}`] } }),
    docker.listContainers({ all: true, filters: { name: [`^/${containerNameFor(goalId)}$`] } }),
  ]);
  return [...new Set([...labelled, ...named].map((c) => c.Names[0] ?? c.Id))];
}
