/**
 * Tokens and dollars as people read them, the same in the PR body, the commit
 * trailers, `drydock watch` and `drydock cost`. Plain functions over plain data.
 */
import type { Usage } from '../../workflows/types';

/** Dollars for reading: six decimals (a scripted or small model's call costs fractions of a cent). */
export function formatUsd(costUsd: number | undefined): string {
  return costUsd === undefined ? 'not priced' : `$${costUsd.toFixed(6)}`;
}

/** Dollars exactly as accounted (to a millionth of a millionth, without float noise): for commit trailers and JSON. */
export function exactUsd(costUsd: number): string {
  return String(Math.round(costUsd * 1e12) / 1e12);
}

/** `1234 (prompt 1000, 800 of them cached; completion 234, 100 of them reasoning)`. */
export function usageBreakdown(usage: Usage): string {
  const cached = usage.cachedPromptTokens ? `, ${usage.cachedPromptTokens} of them cached` : '';
  const reasoning = usage.reasoningTokens ? `, ${usage.reasoningTokens} of them reasoning` : '';
  return `${usage.totalTokens} (prompt ${usage.promptTokens}${cached}; completion ${usage.completionTokens}${reasoning})`;
}
