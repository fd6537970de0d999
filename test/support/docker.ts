/** Docker helpers for tests: find the containers drydock left behind. */
import Dockerode from 'dockerode';

/** The shared dockerode client of the tests. */
export const docker = new Dockerode();

/** Names of the containers (running or not) labelled with this goal id. */
export async function containersOfGoal(goalId: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`drydock.goal=${goalId}`] } });
  return list.map((c) => c.Names[0] ?? c.Id);
}
