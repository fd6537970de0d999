/** The checks a scripted turn makes on the request it answers. */
import { contentText } from './messages';
import type { ScriptedExpectation } from './script';

/** What about the messages does not meet the expectation, or undefined when all of it does. */
export function checkExpectation(expect: ScriptedExpectation | undefined, messages: unknown[]): string | undefined {
  if (expect?.lastMessageIncludes !== undefined) {
    const last = contentText(messages[messages.length - 1]);
    if (!last.includes(expect.lastMessageIncludes)) {
      return `expected the last message to include ${JSON.stringify(expect.lastMessageIncludes)}, got ${JSON.stringify(last.slice(0, 200))}`;
    }
  }
  if (expect?.anyMessageIncludes !== undefined) {
    const needle = expect.anyMessageIncludes;
    if (!messages.some((m) => contentText(m).includes(needle))) {
      return `expected a message to include ${JSON.stringify(needle)}; none of ${messages.length} messages does`;
    }
  }
  return undefined;
}
