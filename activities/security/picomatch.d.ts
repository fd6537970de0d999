/** The part of picomatch (4.x, CommonJS, no bundled types) the publish gate uses. */
declare module 'picomatch' {
  /** Options of a matcher. */
  interface PicomatchOptions {
    dot?: boolean;
    nocase?: boolean;
  }
  /** What scan finds in a glob: `base` is its fixed leading folder part. */
  interface ScanResult {
    base: string;
    glob: string;
    isGlob: boolean;
  }
  /** A matcher function for a glob. */
  function picomatch(glob: string | string[], options?: PicomatchOptions): (path: string) => boolean;
  namespace picomatch {
    /** Splits a glob into its fixed base and its glob part. */
    function scan(glob: string, options?: PicomatchOptions): ScanResult;
  }
  export = picomatch;
}
