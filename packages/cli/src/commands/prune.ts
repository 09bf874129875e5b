/** `faceclust prune`: forget the photos (and their faces) that are no longer on disk. */
import fs from 'node:fs';
import path from 'node:path';
import { FaceStore } from '@faceclust/embed';
import { Command } from 'commander';
import { acquireWriteLock } from '../lock.js';
import { DEFAULTS, UsageError } from '../options.js';
import { prepareOutDir, STORE_FILE } from '../output.js';
import { appendLog, count, type LogEntries } from '../reports/log.js';
import { EXIT, failure, Ui } from './common.js';

interface PruneFlags {
  out: string;
  dryRun?: boolean;
  json?: boolean;
  quiet?: boolean;
}

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

export function pruneCommand(argv: string[]): Command {
  const cmd = new Command('prune')
    .description('forget the photos embedded in <out> that are no longer on disk (moved photos are found again by content: no need to prune them)')
    .option('-o, --out <dir>', 'output folder holding the embedding store', DEFAULTS.out)
    .option('--dry-run', 'list the photos that would be forgotten, forget nothing')
    .option('--json', 'print { missing, forgotten: { images, faces }, store } on stdout')
    .option('-q, --quiet', 'no messages except errors');
  cmd.action((flags: PruneFlags) => {
    const ui = new Ui(flags);
    try {
      const r = prune(flags.out, { dryRun: flags.dryRun, command: `faceclust ${argv.join(' ')}` });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ missing: r.missing, forgotten: r.forgotten, store: r.storePath })}\n`);
      } else if (!flags.quiet) {
        const lines = r.missing.length === 0
          ? ['every photo in the store is still on disk: nothing to forget']
          : [
              flags.dryRun
                ? `${count(r.missing.length, 'photo')} no longer found (dry run: nothing forgotten):`
                : `forgot ${count(r.missing.length, 'photo')} no longer found (${count(r.forgotten.faces, 'face')}):`,
              ...r.missing.slice(0, 20).map((p) => `  ${p}`),
              ...(r.missing.length > 20 ? [`  … ${r.missing.length - 20} more (listed in log.txt)`] : []),
            ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      process.exitCode = EXIT.ok;
    } catch (err) {
      process.exitCode = failure(err, ui);
    }
  });
  cmd.addHelpText('after', `
Examples:
  $ faceclust prune --out pics-out --dry-run     list what is gone
  $ faceclust prune --out pics-out               forget it`);
  return cmd;
}
