/**
 * readModelProfiles: the model profiles the agent worker holds (the built-ins
 * with the operator's DRYDOCK_MODELS over them), for `drydock models` on any
 * machine that reaches Temporal (through the modelProfiles workflow). Never a key.
 */
import { builtinProfiles, profileView, type ModelProfile, type ModelProfileView } from '../model/profiles';

/** What the profile-reading activity needs. */
export interface ModelProfileActivityDeps {
  /** The worker's profiles (the built-ins when absent). */
  modelProfiles?: Map<string, ModelProfile>;
  /** Whether an environment variable holding a key has a value on the worker. */
  modelKeySet?: (variable: string) => boolean;
  /** The DRYDOCK_MODELS file the worker read, when set. */
  modelsFile?: string;
  /** The model goals get when they name none. */
  defaultModel: string;
}

/** The answer: every profile (by name), the worker's default model and its profiles file. */
export interface ModelProfilesAnswer {
  profiles: ModelProfileView[];
  defaultModel: string;
  modelsFile?: string;
}

/** The agent queue's profile-reading activity. */
export function createModelProfileActivities(deps: ModelProfileActivityDeps) {
  return {
    /** Lists the profiles as the worker resolves them; reads only. */
    async readModelProfiles(): Promise<ModelProfilesAnswer> {
      const profiles = deps.modelProfiles ?? builtinProfiles();
      const keySet = deps.modelKeySet ?? (() => false);
      return {
        profiles: [...profiles.values()]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((p) => profileView(p, keySet)),
        defaultModel: deps.defaultModel,
        ...(deps.modelsFile !== undefined ? { modelsFile: deps.modelsFile } : {}),
      };
    },
  };
}
