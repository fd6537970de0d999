/**
 * Text from the model, the repository or a PR record, made safe for the
 * operator's terminal: escape sequences (window titles, clipboard writes,
 * cursor moves that could forge a status line), other control characters and
 * hidden Unicode (bidi controls, tag and zero-width characters) are removed;
 * newlines and tabs are kept.
 */
import { stripHiddenUnicode } from '../activities/security/hidden-unicode';

/** OSC (title, clipboard, hyperlink), ended by BEL or ST, or cut off. */
const OSC = /(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?/g;
/** DCS, SOS, PM and APC strings, ended by ST, or cut off. */
const STRING_SEQUENCE = /(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)?/g;
/** CSI (cursor moves, erase, colours). */
const CSI = /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?/g;
/** Any other escape (`ESC c` resets the terminal, `ESC 7` saves the cursor, …). */
const OTHER_ESCAPE = /\x1b[ -/]*[0-~]?/g;
/** C0 controls but tab and newline, DEL, and C1 controls. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** The text with escape sequences, control characters (but \n and \t) and hidden Unicode removed. */
export function terminalSafe(text: string): string {
  const plain = text
    .replace(OSC, '')
    .replace(STRING_SEQUENCE, '')
    .replace(CSI, '')
    .replace(OTHER_ESCAPE, '')
    .replace(CONTROL, '');
  return stripHiddenUnicode(plain).text;
}

/** Characters JSON.stringify leaves as they are that a terminal acts on or hides: DEL, C1, bidi, zero-width, separators, tags. */
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|\udb40[\udc00-\udc7f]/g;

/** JSON.stringify whose output is safe for a terminal: the same data, with such characters written as \u escapes. */
export function terminalSafeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(JSON_UNSAFE, (chars) =>
    [...Array(chars.length).keys()].map((i) => `\\u${chars.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
}
