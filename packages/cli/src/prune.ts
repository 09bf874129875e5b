/** Forgetting the photos (and their faces) that are no longer on disk: `faceclust prune` and the API's `prune()`. */
import fs from 'node:fs';
import path from 'node:path';
import { FaceStore } from '@faceclust/embed';
import { acquireWriteLock } from './lock.js';
import { UsageError } from './options.js';
import { prepareOutDir, STORE_FILE } from './output.js';
import { appendLog, count, type LogEntries } from './reports/log.js';

/** What {@link prune} found and did. */
export interface PruneResult {
  /** Photos recorded in the store whose file is gone, sorted. */
  missing: string[];
  /** Rows forgotten (0 with dryRun): images of every model, and their faces. */
  forgotten: { images: number; faces: number };
  storePath: string;
}

/** Forgets, in one transaction, every photo of the store at `<out>/faces.sqlite` whose file is gone. */
export function prune(outPath: string, opts: { dryRun?: boolean; command?: string } = {}): PruneResult {
  const out = prepareOutDir(outPath);
  const storePath = path.join(out, STORE_FILE);
  if (!fs.existsSync(storePath)) throw new UsageError(`No embedding store at ${storePath}: nothing to prune`);
  const command = opts.command ?? 'prune()';
  const release = acquireWriteLock(out, command);
  const store = FaceStore.open(storePath);
  try {
    const missing = [...new Set(store.listImages().map((r) => r.path))].filter((p) => !fs.existsSync(p)).sort();
    const forgotten = opts.dryRun || missing.length === 0 ? { images: 0, faces: 0 } : store.forgetImages(missing);
    const entries: LogEntries = [
      ['command', command],
      ['no longer found', missing.length ? `${missing.length}\n${missing.slice(0, 50).join('\n')}${missing.length > 50 ? '\n…' : ''}` : 0],
      ['forgotten', opts.dryRun ? 'nothing (dry run)' : `${count(forgotten.images, 'photo')} (every model), ${count(forgotten.faces, 'face')}`],
      ['store', storePath],
    ];
    appendLog(out, opts.dryRun ? 'prune (dry run)' : 'prune', new Date(), entries);
    return { missing, forgotten, storePath };
  } finally {
    store.close();
    release();
  }
}
