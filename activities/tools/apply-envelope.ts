/** apply_patch's envelope format: parse, read every file named, plan every change, then write them all. */
import { planEnvelope } from './envelope-plan';
import { readEnvelopeFiles, writeEnvelopeChanges } from './envelope-files';
import { parseEnvelope, type EnvelopeOperation } from './patch-envelope';
import { oneLine } from './sandbox-helper';
import type { ToolContext, ToolOutcome } from './tool';

const FORMAT_HINT =
  'The envelope is "*** Begin Patch", then per file "*** Update File: <path>" (optionally "*** Move to: <path>") ' +
  'with hunks ("@@ <anchor line>", then " " context, "-" removed and "+" added lines), "*** Add File: <path>" ' +
  'with "+" lines, or "*** Delete File: <path>"; then "*** End Patch".';
const MATCH_HINT =
  'Context and removed lines must match the file (trailing and surrounding whitespace is forgiven). ' +
  'Read the file again and resend the patch.';

/** Applies a `*** Begin Patch` envelope all-or-nothing: nothing is written unless every operation and hunk applies. */
export async function applyEnvelope(ctx: ToolContext, patch: string): Promise<ToolOutcome> {
  const parsed = parseEnvelope(patch);
  if (!parsed.ok) return { ...failed(parsed.error, FORMAT_HINT), invalid: true };
  const read = await readEnvelopeFiles(ctx, pathsOf(parsed.operations));
  if (!read.ok) return failed(read.refusal);
  const plan = planEnvelope(parsed.operations, read.files);
  if (!plan.ok) return failed(plan.error, MATCH_HINT);
  const written = await writeEnvelopeChanges(ctx, plan.changes);
  if (!written.ok) return failed(written.refusal);
  return {
    ok: true,
    output: `patch applied:\n${plan.applied.join('\n')}\n`,
    summary: oneLine(`applied patch to ${plan.applied.length} file(s): ${plan.applied.join(', ')}`),
    exitCode: 0,
  };
}

/** Every path the operations name, once each, in order. */
function pathsOf(operations: readonly EnvelopeOperation[]): string[] {
  const paths = operations.flatMap((op) => (op.type === 'update' && op.moveTo ? [op.path, op.moveTo] : [op.path]));
  return [...new Set(paths)];
}

/** The outcome of an envelope that did not apply: nothing was changed. */
function failed(why: string, hint?: string): ToolOutcome {
  return {
    ok: false,
    output: `patch did not apply; nothing was changed:\n${why}\n${hint ? `${hint}\n` : ''}`,
    summary: oneLine(`apply_patch failed: ${why}`),
    exitCode: 1,
  };
}
