/**
 * The scripted model of the fast workflow tier: a list of turns, each the tool
 * calls (or the text) the model answers with, built from small helpers so a
 * test reads as a story. A tool call may carry a cue for the fake sandbox
 * (fail, be invalid, lose the sandbox once, hang).
 */
import type { Usage } from '../../workflows/types';

/**
 * What the fake sandbox does with a tool call: succeed, fail (exit 1), be an
 * invalid call, lose its container the first time it runs (then succeed on
 * the next sandbox), lose its container every time, or hang until cancelled.
 */
export type ToolCue = 'ok' | 'fails' | 'invalid' | 'losesSandbox' | 'killsEverySandbox' | 'hangs';

/** One tool call of a scripted turn. */
export interface FakeToolCall {
  name: string;
  args: Record<string, unknown>;
  /** What the fake sandbox does with it (`ok` when absent). */
  cue?: ToolCue;
}

/** One scripted model turn: tool calls, or text only (a plan, or a turn the loop nudges). */
export interface FakeTurn {
  calls: FakeToolCall[];
  text?: string;
  usage: Usage;
}

/** Usage of a turn when the script gives none. */
export const TURN_USAGE: Usage = { promptTokens: 100, completionTokens: 20, totalTokens: 120 };

/** Tools that change the workspace (checkpoints follow them), as activities/tools marks them. */
export const MUTATING_TOOLS = new Set(['shell', 'write_file', 'apply_patch']);

/** A turn with these tool calls. */
export function turn(...calls: FakeToolCall[]): FakeTurn {
  return { calls, usage: TURN_USAGE };
}

/** A turn that answers in text only. */
export function text(content: string): FakeTurn {
  return { calls: [], text: content, usage: TURN_USAGE };
}

/** The same turn with another usage report. */
export function costing(usage: Partial<Usage>, t: FakeTurn): FakeTurn {
  const merged = { ...TURN_USAGE, ...usage };
  return {
    ...t,
    usage: { ...merged, totalTokens: usage.totalTokens ?? merged.promptTokens + merged.completionTokens },
  };
}

/** shell: runs a command in the sandbox. */
export function shell(command: string, cue?: ToolCue): FakeToolCall {
  return { name: 'shell', args: { command }, cue };
}

/** write_file: writes a file of the workspace. */
export function writeFile(path: string, content = 'changed\n', cue?: ToolCue): FakeToolCall {
  return { name: 'write_file', args: { path, content }, cue };
}

/** read_file: reads a file of the workspace. */
export function readFile(path: string, cue?: ToolCue): FakeToolCall {
  return { name: 'read_file', args: { path }, cue };
}

/** finish: the model says the goal is met. */
export function finish(summary: string, rationale = 'because the checks pass'): FakeToolCall {
  return { name: 'finish', args: { summary, rationale } };
}
