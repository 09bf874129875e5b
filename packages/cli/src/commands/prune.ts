/** `faceclust prune`: forget the photos (and their faces) that are no longer on disk. */
import { Command } from 'commander';
import { DEFAULTS } from '../options.js';
import { prune } from '../prune.js';
import { count } from '../reports/log.js';
import { EXIT, failure, Ui } from './common.js';

interface PruneFlags {
  out: string;
  dryRun?: boolean;
  json?: boolean;
  quiet?: boolean;
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
