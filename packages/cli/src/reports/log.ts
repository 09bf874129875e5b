/**
 * `log.txt`: a human-readable history of every call in an output folder, one block per call, only ever
 * appended to (tuning is trial and error: the log is the record of every try).
 */
import fs from 'node:fs';
import path from 'node:path';

export const LOG_FILE = 'log.txt';
/** First line of every block: tests and people can count calls by it. */
export const BLOCK_START = '=== faceclust';

export type LogEntries = [key: string, value: string | number | undefined][];

export function formatBlock(title: string, when: Date, entries: LogEntries): string {
  const width = Math.max(...entries.map(([k]) => k.length)) + 1;
  const lines = entries
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${`${k}:`.padEnd(width + 1)}${String(v).replace(/\n/g, `\n${' '.repeat(width + 1)}`)}`);
  return `${BLOCK_START} ${title} — ${when.toISOString()} ===\n${lines.join('\n')}\n\n`;
}

/** Appends one block to `<out>/log.txt` (created if absent). One write call, so blocks never interleave. */
export function appendLog(out: string, title: string, when: Date, entries: LogEntries): string {
  const file = path.join(out, LOG_FILE);
  fs.appendFileSync(file, formatBlock(title, when, entries));
  return file;
}

/** `1 photo`, `3 photos`: a number and its noun, plural when it is not 1. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

export function ms(v: number): string {
  return v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(1)} s`;
}

export function listSkipped(skipped: { path: string; reason: string }[], max = 50): string {
  if (skipped.length === 0) return 'none';
  const lines = skipped.slice(0, max).map((s) => `${s.path}: ${s.reason}`);
  if (skipped.length > max) lines.push(`… and ${skipped.length - max} more (see the xlsx, sheet "skipped")`);
  return `${skipped.length}\n${lines.join('\n')}`;
}
