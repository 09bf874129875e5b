/**
 * Ground truth for `faceclust eval` and `faceclust tune --truth`: each photo's identity, from the name of
 * its parent folder (how labelled sets such as LFW are laid out: `Person_Name/photo.jpg`) or from a CSV of
 * `file,identity` rows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from './options.js';

/** `'folder'` (the parent folder's name) or the path of a CSV file of `file,identity`. */
export type TruthSource = 'folder' | { csv: string };

/** Identity per face as integer labels, and what could not be labelled. */
export interface Truth {
  /** One label per face (aligned with the faces given); −1 for a face whose photo has no identity. */
  labels: Int32Array;
  /** Distinct identities among the labelled faces. */
  identities: number;
  /** Faces whose photo has no identity (CSV without that file): excluded from scoring. */
  unlabelled: number;
  /** How the truth was read, for logs: `parent folder name` or the CSV path. */
  source: string;
}

/** Parses the value of `--truth`: `folder`, or a path to an existing `.csv` file. */
export function parseTruthFlag(raw: string): TruthSource {
  if (raw === 'folder') return 'folder';
  if (!/\.csv$/i.test(raw)) throw new UsageError(`Invalid value for --truth: expected folder or a path to a .csv file of file,identity rows but received ${JSON.stringify(raw)}`);
  const file = path.resolve(raw);
  if (!fs.existsSync(file)) throw new UsageError(`Invalid value for --truth: the file ${file} does not exist`);
  return { csv: file };
}

/** Splits one CSV line (RFC 4180 quotes, `""` inside quotes). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

/**
 * Reads a CSV of `file,identity` (a header row `file,identity` is optional). Relative file paths are
 * resolved against the CSV's folder. Returns absolute path → identity.
 */
export function readTruthCsv(csv: string): Map<string, string> {
  const text = fs.readFileSync(csv, 'utf8').replace(/^\uFEFF/, '');
  const map = new Map<string, string>();
  const dir = path.dirname(csv);
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = splitCsvLine(line);
    if (i === 0 && cells[0].toLowerCase() === 'file') return;
    if (cells.length < 2 || cells[0] === '' || cells[1] === '') {
      throw new UsageError(`Invalid truth CSV ${csv}, line ${i + 1}: expected file,identity but received ${JSON.stringify(line)}`);
    }
    map.set(path.resolve(dir, cells[0]), cells[1]);
  });
  if (map.size === 0) throw new UsageError(`Invalid truth CSV ${csv}: no file,identity rows`);
  return map;
}

/**
 * Labels each face's photo (`files[i]`, absolute paths) from `source`. With a CSV, a photo is found by
 * its absolute path, else by its file name when exactly one CSV row has that name.
 */
export function loadTruth(files: readonly string[], source: TruthSource): Truth {
  const ids = new Map<string, number>();
  const labels = new Int32Array(files.length);
  let unlabelled = 0;
  let lookup: (file: string) => string | undefined;
  if (source === 'folder') {
    lookup = (file) => path.basename(path.dirname(file));
  } else {
    const map = readTruthCsv(source.csv);
    const byName = new Map<string, string | null>();
    for (const [file, id] of map) {
      const name = path.basename(file);
      byName.set(name, byName.has(name) ? null : id);
    }
    lookup = (file) => map.get(file) ?? byName.get(path.basename(file)) ?? undefined;
  }
  files.forEach((file, i) => {
    const id = lookup(file);
    if (id === undefined) {
      labels[i] = -1;
      unlabelled++;
      return;
    }
    let label = ids.get(id);
    if (label === undefined) ids.set(id, (label = ids.size));
    labels[i] = label;
  });
  return { labels, identities: ids.size, unlabelled, source: source === 'folder' ? 'parent folder name' : source.csv };
}

/** The faces that have an identity: their indices, and labels and truth restricted to them. */
export function labelledOnly(labels: Int32Array, truth: Int32Array): { labels: Int32Array; truth: Int32Array } {
  let m = 0;
  for (const t of truth) if (t >= 0) m++;
  if (m === truth.length) return { labels, truth };
  const l = new Int32Array(m);
  const t = new Int32Array(m);
  for (let i = 0, w = 0; i < truth.length; i++) {
    if (truth[i] < 0) continue;
    l[w] = labels[i];
    t[w++] = truth[i];
  }
  return { labels: l, truth: t };
}
