/** A changed file of a goal's change: plain data every layer may use. */

/** One changed file, as the host-made comparison of the workspace with the base commit reports it. */
export interface ChangedFile {
  path: string;
  /** A added, M modified, D deleted, R renamed, … */
  status: string;
  /** Lines added and deleted; null for binary files. */
  additions: number | null;
  deletions: number | null;
  /** Git mode of the file after the change (before it, for a deletion): 100644, 100755, 120000 (symlink), 160000 (gitlink). */
  mode?: string;
  /** Git considers the content binary. */
  binary?: boolean;
  /** For a symlink (mode 120000): the target it points to. */
  symlinkTarget?: string;
}
