/**
 * Hidden Unicode in repository text: bidirectional controls (Trojan Source),
 * tag characters (invisible ASCII smuggling) and zero-width characters. The
 * model must never read instructions a person reviewing the file cannot see.
 */

/** A class of invisible character. */
export type HiddenCharacterKind = 'bidi-control' | 'tag-character' | 'zero-width';

/** What stripping removed. */
export interface HiddenUnicodeReport {
  /** Characters removed in all. */
  total: number;
  /** Count per kind, only kinds that occurred. */
  kinds: Partial<Record<HiddenCharacterKind, number>>;
  /** 1-based line numbers that held one (at most 20). */
  lines: number[];
}

/** The text without hidden characters, and what was removed. */
export interface StrippedText {
  text: string;
  report: HiddenUnicodeReport;
}

const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
const TAG = /[\u{E0000}-\u{E007F}]/u;
const ZERO_WIDTH = /[\u180E\u200B-\u200D\u2060-\u2064\uFEFF]/u;
const ANY_HIDDEN =
  /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\u{E0000}-\u{E007F}\u180E\u200B-\u200D\u2060-\u2064\uFEFF]/gu;

/** The kind of a hidden character, or undefined for an ordinary one. */
export function hiddenKindOf(char: string): HiddenCharacterKind | undefined {
  if (BIDI.test(char)) return 'bidi-control';
  if (TAG.test(char)) return 'tag-character';
  if (ZERO_WIDTH.test(char)) return 'zero-width';
  return undefined;
}

/** Removes every hidden character and reports what it removed and where. */
export function stripHiddenUnicode(text: string): StrippedText {
  const kinds: Partial<Record<HiddenCharacterKind, number>> = {};
  const lines = new Set<number>();
  let total = 0;
  const out = text
    .split('\n')
    .map((line, i) =>
      line.replace(ANY_HIDDEN, (char) => {
        const kind = hiddenKindOf(char);
        if (kind) kinds[kind] = (kinds[kind] ?? 0) + 1;
        total++;
        lines.add(i + 1);
        return '';
      }),
    )
    .join('\n');
  return { text: out, report: { total, kinds, lines: [...lines].slice(0, 20) } };
}

/** True when a text holds a bidirectional control or a tag character (zero-width ones are common in prose). */
export function hasDeceptiveUnicode(text: string): boolean {
  return BIDI.test(text) || TAG.test(text);
}

/** One line describing a report, e.g. `12 hidden characters (tag-character 10, bidi-control 2) on lines 3, 7`. */
export function describeHiddenUnicode(report: HiddenUnicodeReport): string {
  const kinds = Object.entries(report.kinds)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  return `${report.total} hidden character${report.total === 1 ? '' : 's'} (${kinds}) on line${report.lines.length === 1 ? '' : 's'} ${report.lines.join(', ')}`;
}

/**
 * Text for the model without hidden characters, with a one-line note saying
 * what was removed; the text as it is when it held none. Used for tool results
 * and check logs, which repository content reaches.
 */
export function stripHiddenUnicodeWithNote(text: string): string {
  const { text: clean, report } = stripHiddenUnicode(text);
  if (report.total === 0) return text;
  return `${clean}\n[drydock removed ${describeHiddenUnicode(report)} of this output: invisible characters can hide instructions]`;
}
