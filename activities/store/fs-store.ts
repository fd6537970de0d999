import { promises as fs } from 'fs';
import * as path from 'path';
import type { ArtifactStore } from './artifact-store';
import { ArtifactNotFoundError, InvalidArtifactKeyError } from './errors';

/** ArtifactStore on a local folder (the embedded default: DRYDOCK_DATA_DIR/artifacts). */
export class FsArtifactStore implements ArtifactStore {
  constructor(private readonly root: string) {}

  async put(key: string, data: Buffer | string): Promise<void> {
    const file = this.fileOf(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    // Write then rename, so a reader never sees half a file and a retried put is harmless.
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.fileOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ArtifactNotFoundError(key);
      throw err;
    }
  }

  async has(key: string): Promise<boolean> {
    try {
      await fs.access(this.fileOf(key));
      return true;
    } catch {
      return false;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const dir = this.fileOf(prefix.replace(/\/+$/, ''));
    const out: string[] = [];
    const walk = async (d: string, rel: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(d, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (e.name.endsWith('.tmp')) continue;
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(path.join(d, e.name), r);
        else out.push(`${prefix.replace(/\/+$/, '')}/${r}`);
      }
    };
    await walk(dir, '');
    return out.sort();
  }

  private fileOf(key: string): string {
    if (!/^[A-Za-z0-9._\-/]+$/.test(key) || key.split('/').some((p) => p === '' || p === '.' || p === '..')) {
      throw new InvalidArtifactKeyError(key);
    }
    return path.join(this.root, key);
  }
}
