/** Usage as the two OpenAI wire formats report it, in drydock's Usage shape (cached and reasoning tokens when reported). */
import type { CompletionUsage } from 'openai/resources/completions';
import type { ResponseUsage } from 'openai/resources/responses/responses';
import type { Usage } from '../../workflows/types';

/** Usage of a Chat Completions answer (`prompt_tokens_details.cached_tokens`, `completion_tokens_details.reasoning_tokens`). */
export function usageFromChat(usage: CompletionUsage | null | undefined): Usage {
  const promptTokens = usage?.prompt_tokens ?? 0;
  const completionTokens = usage?.completion_tokens ?? 0;
  return withDetails(
    { promptTokens, completionTokens, totalTokens: usage?.total_tokens ?? promptTokens + completionTokens },
    usage?.prompt_tokens_details?.cached_tokens,
    usage?.completion_tokens_details?.reasoning_tokens,
  );
}

/** Usage of a Responses API answer (`input_tokens_details.cached_tokens`, `output_tokens_details.reasoning_tokens`). */
export function usageFromResponses(usage: ResponseUsage | null | undefined): Usage {
  const promptTokens = usage?.input_tokens ?? 0;
  const completionTokens = usage?.output_tokens ?? 0;
  return withDetails(
    { promptTokens, completionTokens, totalTokens: usage?.total_tokens ?? promptTokens + completionTokens },
    usage?.input_tokens_details?.cached_tokens,
    usage?.output_tokens_details?.reasoning_tokens,
  );
}

function withDetails(usage: Usage, cached: number | null | undefined, reasoning: number | null | undefined): Usage {
  return {
    ...usage,
    ...(typeof cached === 'number' && cached > 0 ? { cachedPromptTokens: cached } : {}),
    ...(typeof reasoning === 'number' && reasoning > 0 ? { reasoningTokens: reasoning } : {}),
  };
}
