/** apply_patch: applies a unified diff to the workspace with git apply. */
import { z } from 'zod';
import { text } from './arguments';
import { defineTool } from './define-tool';
import { MAX_FILE_BYTES, oneLine } from './sandbox-helper';

/** The arguments of apply_patch: a unified diff of at most 1 MB; it comes out ending in a newline. */
export const applyPatchArguments = z.object({
  patch: text('The unified diff, with ---/+++ file headers and @@ hunks.')
    .superRefine((patch, ctx) => {
      if (Buffer.byteLength(patch) > MAX_FILE_BYTES) {
        ctx.addIssue({ code: 'custom', message: `is larger than ${MAX_FILE_BYTES} bytes; split it` });
      } else if (!/^(---|\+\+\+|diff --git) /m.test(patch)) {
        ctx.addIssue({ code: 'custom', message: 'must be a unified diff with ---/+++ file headers' });
      }
    })
    .transform((patch) => (patch.endsWith('\n') ? patch : `${patch}\n`)),
});

/** Arguments of apply_patch. */
export type ApplyPatchArgs = z.output<typeof applyPatchArguments>;

/**
 * Checks the patch at strip level $1, then $2, and applies it at the first that
 * fits, printing git's numstat first; when neither fits, prints git's complaint
 * for $1 (verbose: it shows the lines it searched for). The patch arrives on stdin.
 */
const APPLY_SCRIPT = `
set -u
patch=$(mktemp)
trap 'rm -f "$patch"' EXIT
cat > "$patch"
apply() { git apply --recount --whitespace=nowarn "$@" "$patch"; }
for strip in "$1" "$2"; do
  if apply --check -p"$strip" 2>/dev/null; then
    apply --numstat -p"$strip" && apply -p"$strip"
    exit
  fi
done
apply --check --verbose -p"$1"
`;

/** Applies a unified diff (git or plain diff -u format) at the workspace root. */
export const applyPatch = defineTool({
  name: 'apply_patch',
  description:
    'Apply a unified diff to the workspace (git apply, run at the workspace root; hunk line counts are ' +
    'recounted). Paths as in `git diff` (a/ and b/ prefixes) or relative to the root. Either the whole ' +
    'patch applies or nothing changes.',
  schema: applyPatchArguments,
  isMutating: true,
  async run(ctx, args) {
    const [first, second] = hasPrefixes(args.patch) ? ['1', '0'] : ['0', '1'];
    const result = await ctx.sandbox.exec(ctx.containerId, ['bash', '-c', APPLY_SCRIPT, 'apply_patch', first, second], {
      stdin: args.patch,
      timeoutMs: ctx.commandTimeoutMs,
      maxOutputBytes: ctx.maxOutputBytes,
    });
    if (result.exitCode !== 0 || result.timedOut) {
      const why = result.timedOut ? 'git apply timed out' : (result.stderr || result.stdout).trim();
      return {
        ok: false,
        output:
          `patch did not apply; nothing was changed:\n${why}\n` +
          'Context lines must match the file exactly (a hunk without trailing context must end at the end ' +
          'of the file). Read the file again and resend the patch, or use write_file.',
        summary: oneLine(`apply_patch failed: ${why}`),
        exitCode: result.exitCode,
      };
    }
    const files = result.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [added, deleted, file] = line.split('\t');
        return `${file} (+${added} -${deleted})`;
      });
    return {
      ok: true,
      output: `patch applied:\n${files.join('\n')}\n`,
      summary: oneLine(`applied patch to ${files.length} file(s): ${files.join(', ')}`),
      exitCode: 0,
    };
  },
});

/** True when every file header path carries git's a/ or b/ prefix (or is /dev/null). */
function hasPrefixes(patch: string): boolean {
  const paths = [...patch.matchAll(/^(?:---|\+\+\+) (\S+)/gm)].map((m) => m[1] ?? '');
  return paths.length > 0 && paths.every((p) => p === '/dev/null' || p.startsWith('a/') || p.startsWith('b/'));
}
