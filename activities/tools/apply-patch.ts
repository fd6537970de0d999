/**
 * apply_patch: applies a patch to the workspace, all or nothing, in either of two
 * formats: a unified diff (with git apply) or the `*** Begin Patch` envelope
 * models are trained on (see apply-envelope.ts). The first non-blank line decides.
 */
import { z } from 'zod';
import { applyEnvelope } from './apply-envelope';
import { text } from './arguments';
import { defineTool } from './define-tool';
import { isEnvelope } from './patch-envelope';
import { MAX_FILE_BYTES, oneLine } from './sandbox-helper';
import type { ToolContext, ToolOutcome } from './tool';

/** The arguments of apply_patch: a unified diff or an envelope of at most 1 MB; it comes out ending in a newline. */
export const applyPatchArguments = z.object({
  patch: text(
    'Either a unified diff (---/+++ file headers and @@ hunks) or a "*** Begin Patch" … "*** End Patch" envelope.',
  )
    .superRefine((patch, ctx) => {
      if (Buffer.byteLength(patch) > MAX_FILE_BYTES) {
        ctx.addIssue({ code: 'custom', message: `is larger than ${MAX_FILE_BYTES} bytes; split it` });
      } else if (!isEnvelope(patch) && !/^(---|\+\+\+|diff --git) /m.test(patch)) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be a unified diff with ---/+++ file headers, or an envelope starting with "*** Begin Patch"',
        });
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

/** Applies a unified diff or a `*** Begin Patch` envelope at the workspace root, all or nothing. */
export const applyPatch = defineTool({
  name: 'apply_patch',
  description:
    'Apply a patch to the workspace; either the whole patch applies or nothing changes. Two formats are accepted. ' +
    '(1) A unified diff (git apply at the workspace root; hunk line counts are recounted); paths as in `git diff` ' +
    '(a/ and b/ prefixes) or relative to the root. (2) The apply_patch envelope: "*** Begin Patch", then for each ' +
    'file "*** Update File: <path>" (optionally followed by "*** Move to: <new path>") with hunks of "@@ <a line ' +
    'near the change, e.g. the function header>" and lines starting " " (context), "-" (removed) or "+" (added), ' +
    '"*** End of File" after a hunk that ends the file; "*** Add File: <path>" followed by its lines, each ' +
    'starting "+"; or "*** Delete File: <path>"; and last "*** End Patch". Envelope paths are relative to the root.',
  schema: applyPatchArguments,
  isMutating: true,
  run(ctx, args) {
    return isEnvelope(args.patch) ? applyEnvelope(ctx, args.patch) : applyUnifiedDiff(ctx, args.patch);
  },
});

/** Applies a unified diff (git or plain diff -u format) with git apply. */
async function applyUnifiedDiff(ctx: ToolContext, patch: string): Promise<ToolOutcome> {
  const [first, second] = hasPrefixes(patch) ? ['1', '0'] : ['0', '1'];
  const result = await ctx.sandbox.exec(ctx.containerId, ['bash', '-c', APPLY_SCRIPT, 'apply_patch', first, second], {
    stdin: patch,
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
}

/** True when every file header path carries git's a/ or b/ prefix (or is /dev/null). */
function hasPrefixes(patch: string): boolean {
  const paths = [...patch.matchAll(/^(?:---|\+\+\+) (\S+)/gm)].map((m) => m[1] ?? '');
  return paths.length > 0 && paths.every((p) => p === '/dev/null' || p.startsWith('a/') || p.startsWith('b/'));
}
