/** Times and durations as the CLI prints them: local wall-clock times and short spans (`2m 05s`). */

/** `YYYY-MM-DD HH:MM:SS` in local time; today's times print as `HH:MM:SS`. */
export function clock(epochMs: number, now = Date.now()): string {
  const d = new Date(epochMs);
  const p = (n: number) => String(n).padStart(2, '0');
  const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  return new Date(now).toDateString() === d.toDateString() ? time : `${day} ${time}`;
}

/** `YYYY-MM-DD HH:MM` in local time, for a table's start column. */
export function shortClock(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A span in its two largest units: `45s`, `3m 05s`, `2h 10m`, `6d 23h`. */
export function span(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${String(h % 24).padStart(2, '0')}h`;
}
