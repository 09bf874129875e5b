/** `faceclust embed <inputs...>`: the first half: every face into <out>/faces.sqlite, resumable. */
import { Command } from 'commander';
import { count } from '../reports/log.js';
import { addCommonFlags, EXIT, failure, openClustering, Ui, type CommonFlags } from './common.js';

export function embedCommand(argv: string[]): Command {
  const cmd = new Command('embed')
    .description('detect, align and embed every face into <out>/faces.sqlite (resumes where a previous run stopped)')
    .argument('<inputs...>', 'photos and folders (searched recursively)');
  addCommonFlags(cmd, { embed: true });
  cmd.action(async (inputs: string[], flags: CommonFlags) => {
    const ui = new Ui(flags);
    let dispose = () => {};
    try {
      const opened = openClustering(inputs, flags, ui, `faceclust ${argv.join(' ')}`);
      dispose = opened.dispose;
      const s = await opened.fc.embed();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ images: s.images, embedded: s.embedded, cached: s.cached, moved: s.moved, faces: s.faces, model: s.model, store: s.storePath, skipped: s.skipped, missing: s.missing, hidden: s.hidden, skippedFolders: s.skippedFolders })}\n`);
      } else if (!flags.quiet) {
        const moved = s.moved ? ` (${s.moved} of them moved, renamed or copied)` : '';
        process.stdout.write(`${count(s.faces, 'face')} in ${count(s.images, 'photo')} (${s.embedded} embedded now, ${s.cached} already in the store${moved}, ${s.skipped.length} skipped)\nstore: ${s.storePath}\nnext:  faceclust cluster cw --out ${JSON.stringify(opened.fc.outPath)}\n`);
      }
      ui.skipped(s.skipped);
      if (s.noFace.length) ui.info(`${count(s.noFace.length, 'photo')} with no face found (listed in log.txt)`);
      for (const line of s.notices) ui.info(`note: ${line}`);
      process.exitCode = s.skipped.length ? EXIT.skipped : EXIT.ok;
    } catch (err) {
      process.exitCode = failure(err, ui);
    } finally {
      dispose();
    }
  });
  cmd.addHelpText('after', `
Examples:
  $ faceclust embed ~/Pictures --out pics-out             then: faceclust cluster cw --out pics-out
  $ faceclust embed crops/ --no-detect --out crops-out    folders of ready face crops`);
  return cmd;
}
