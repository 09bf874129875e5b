/**
 * Ground truth for `faceclust eval` and `faceclust tune --truth`: each photo's identity, from the name of
 * its parent folder (how labelled sets such as LFW are laid out: `Person_Name/photo.jpg`), from the
 * subfolder of a labelled folder it lies in (`<dir>/<Name>/…/photo.jpg`), or from a CSV of `file,identity`
 * rows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from './options.js';

/**
 * `'folder'` (the photo's parent folder's name), `{ dir }` (the subfolder of `dir` the photo lies in) or
 * `{ csv }` (a CSV file of `file,identity`); paths absolute.
 */
export type TruthSource = 'folder' | { dir: string } | { csv: string };

/** Identity per face as integer labels, and what could not be labelled. */
export interface Truth {
  /** One label per face (aligned with the faces given); −1 for a face whose photo has no identity. */
  labels: Int32Array;
  /** Distinct identities among the labelled faces. */
  identities: number;
  /**
   * Faces whose photo has no identity (CSV without that file; with `{ dir }`, a photo outside `dir` or
   * directly in it): excluded from scoring.
   */
  unlabelled: number;
  /** How the truth was read, for logs: `parent folder name`, `subfolders of <dir>` or the CSV path. */
  source: string;
}

const TRUTH_EXPECTED = 'expected folder (each photo\'s parent folder names the person), a folder with one subfolder per person, or a .csv file of file,identity rows';

/**
 * Parses the value of `--truth`: an existing directory (identities are its subfolders), a path to an
 * existing `.csv` file, or the keyword `folder`. An existing directory wins over the keyword, so a folder
 * that happens to be called `folder` can still be named.
 */
export function parseTruthFlag(raw: string): TruthSource {
  if (raw.trim() === '') throw new UsageError(`Invalid value for --truth: ${TRUTH_EXPECTED} but received ""`);
  const abs = path.resolve(raw);
  const stat = fs.statSync(abs, { throwIfNoEntry: false });
  if (stat?.isDirectory()) return { dir: abs };
  if (raw === 'folder') return 'folder';
  if (/\.csv$/i.test(raw)) {
    if (!stat) throw new UsageError(`Invalid value for --truth: the file ${abs} does not exist`);
    return { csv: abs };
  }
  if (!stat) throw new UsageError(`Invalid value for --truth: ${JSON.stringify(raw)} does not exist${abs === raw ? '' : ` (${abs})`}; ${TRUTH_EXPECTED}`);
  throw new UsageError(`Invalid value for --truth: ${TRUTH_EXPECTED} but received ${JSON.stringify(raw)}, a file that is not .csv`);
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
  let described: string;
  if (source === 'folder') {
    lookup = (file) => path.basename(path.dirname(file));
    described = 'parent folder name';
  } else if ('dir' in source) {
    lookup = subfolderLookup(source.dir);
    described = `subfolders of ${source.dir}`;
  } else {
    const map = readTruthCsv(source.csv);
    const byName = new Map<string, string | null>();
    for (const [file, id] of map) {
      const name = path.basename(file);
      byName.set(name, byName.has(name) ? null : id);
    }
    lookup = (file) => map.get(file) ?? byName.get(path.basename(file)) ?? undefined;
    described = source.csv;
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
  return { labels, identities: ids.size, unlabelled, source: described };
}

/** `file` → the name of the subfolder of `dir` it lies in (at any depth), undefined outside or directly in `dir`. */
function subfolderLookup(dir: string): (file: string) => string | undefined {
  // the store keeps paths as given (resolved, not real): try the folder as given, then through its
  // symlinks, so `--truth ~/link-to-set` still matches photos embedded by their real path and vice versa
  let real = dir;
  try {
    real = fs.realpathSync(dir);
  } catch {
    // gone since parseTruthFlag: the path as given is all there is
  }
  const roots = real === dir ? [dir] : [dir, real];
  return (file) => {
    for (const root of roots) {
      const rel = path.relative(root, file);
      if (rel === '' || rel.startsWith(`..${path.sep}`) || rel === '..' || path.isAbsolute(rel)) continue;
      const parts = rel.split(path.sep);
      if (parts.length >= 2) return parts[0];
    }
    return undefined;
  };
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
