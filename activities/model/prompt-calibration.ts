/**
 * Calibration of the prompt estimate (3 characters a token) from what the
 * endpoint reports: per model (profile), the worst ratio of real to estimated
 * prompt tokens seen so far, applied to the next estimate. JSON-dense tool
 * output is more tokens per character than prose, so the plain estimate can
 * run low; a calibrated estimate covers every prompt the endpoint has counted.
 * Kept in the worker's memory and in the ArtifactStore, so that it survives a
 * restart and is shared by the agent workers of one store. No tokenizer.
 */
import type { ArtifactStore } from '../store/artifact-store';

/** Where the ratios are kept in the ArtifactStore. */
export const CALIBRATION_KEY = 'calibration/prompt-tokens.json';

/** The factor is kept within these bounds: an endpoint that reports nonsense cannot make the estimate absurd. */
export const MIN_FACTOR = 0.5;
/** See MIN_FACTOR. */
export const MAX_FACTOR = 4;

/** What the store holds: per model, the worst ratio of real to estimated prompt tokens. */
interface CalibrationFile {
  version: 1;
  ratios: Record<string, number>;
}

/** Worst observed real / estimated prompt-token ratios, per model. */
export class PromptCalibration {
  private ratios = new Map<string, number>();
  private loaded?: Promise<void>;

  constructor(private readonly store: ArtifactStore) {}

  /** The factor to multiply a raw estimate by for this model (1 until the endpoint has reported a prompt). */
  async factorFor(model: string): Promise<number> {
    await this.load();
    return this.ratios.get(model) ?? 1;
  }

  /**
   * Records one call: the raw (uncalibrated) estimate and the prompt tokens
   * the endpoint reported. Keeps the ratio when it is the worst so far for the
   * model and writes it through to the store; returns the factor now in force.
   */
  async observe(model: string, rawEstimate: number, reported: number): Promise<number> {
    await this.load();
    const current = this.ratios.get(model);
    if (!(rawEstimate > 0) || !(reported > 0)) return current ?? 1;
    const ratio = clamp(reported / rawEstimate);
    if (current !== undefined && ratio <= current) return current;
    this.ratios.set(model, ratio);
    // Another worker of the same store may have seen worse: merge, keeping the worst of each.
    const stored = await this.read();
    for (const [m, r] of Object.entries(stored)) if (r > (this.ratios.get(m) ?? 0)) this.ratios.set(m, clamp(r));
    const file: CalibrationFile = { version: 1, ratios: Object.fromEntries(this.ratios) };
    await this.store.put(CALIBRATION_KEY, JSON.stringify(file, null, 2));
    return this.ratios.get(model) ?? ratio;
  }

  private load(): Promise<void> {
    this.loaded ??= this.read().then((stored) => {
      for (const [m, r] of Object.entries(stored)) this.ratios.set(m, Math.max(clamp(r), this.ratios.get(m) ?? 0));
    });
    return this.loaded;
  }

  /** The stored ratios; none when the file is absent or unreadable (calibration starts over, it is not a failure). */
  private async read(): Promise<Record<string, number>> {
    try {
      if (!(await this.store.has(CALIBRATION_KEY))) return {};
      const parsed = JSON.parse((await this.store.get(CALIBRATION_KEY)).toString('utf8')) as Partial<CalibrationFile>;
      const ratios = parsed?.ratios ?? {};
      return Object.fromEntries(
        Object.entries(ratios).filter(([, r]) => typeof r === 'number' && Number.isFinite(r) && r > 0),
      );
    } catch {
      return {};
    }
  }
}

function clamp(ratio: number): number {
  return Math.min(MAX_FACTOR, Math.max(MIN_FACTOR, ratio));
}
