/** `faceclust eval`: score a clustering call against ground truth; the table goes to the screen, log.txt and the call's xlsx. */
import path from 'node:path';
import { Command } from 'commander';
import { addEvalSheet, evalTable, evaluateCall } from '../evaluation.js';
import { parseTruthFlag } from '../ground-truth.js';
import { DEFAULTS, parseNumberFlag } from '../options.js';
import { prepareOutDir } from '../output.js';
import { appendLog } from '../reports/log.js';
import { EXIT, failure, Ui } from './common.js';

interface EvalFlags {
  out: string;
  call?: string;
  truth: string;
  json?: boolean;
  quiet?: boolean;
}

export function evalCommand(argv: string[]): Command {
  const cmd = new Command('eval')
    .description('score a clustering call in <out> (default: the latest) against ground truth')
    .option('-o, --out <dir>', 'output folder of the clustering calls', DEFAULTS.out)
    .option('--call <n>', 'which call (the number in clusters-NNN-*.xlsx; default: the latest)')
    .option('--truth <folder|dir|file.csv>', 'identity of each photo: `folder` = its parent folder\'s name; a folder path = the subfolder of it the photo lies in (<dir>/<Name>/…; photos elsewhere are left out); or a CSV of file,identity', 'folder')
    .option('--json', 'print the scores as JSON on stdout')
    .option('-q, --quiet', 'no table, only errors');
  cmd.action(async (flags: EvalFlags) => {
    const ui = new Ui(flags);
    try {
      const call = flags.call === undefined ? undefined : parseNumberFlag('--call', { min: 1, integer: true })(flags.call);
      const truth = parseTruthFlag(flags.truth);
      const out = prepareOutDir(flags.out);
      const when = new Date();
      const r = await evaluateCall(out, truth, call);
      const command = `faceclust ${argv.join(' ')}`;
      await addEvalSheet(r, command, when);
      const table = evalTable(r);
      const id = String(r.call).padStart(3, '0');
      appendLog(out, `eval of call ${id}`, when, [
        ['command', command],
        ['call', `${id} (${path.basename(r.xlsx)})`],
        ['scores', `\n${table}`],
        ['outputs', `${r.xlsx} (sheet "evaluation")`],
      ]);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ call: r.call, faces: r.faces, scored: r.scored, people: r.identities, ...r.evaluation })}\n`);
      } else if (!flags.quiet) {
        const rel = path.relative(process.cwd(), r.xlsx);
        process.stdout.write(`call ${id}: ${rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : r.xlsx}\n${table}\n`);
      }
      process.exitCode = EXIT.ok;
    } catch (err) {
      process.exitCode = failure(err, ui);
    }
  });
  cmd.addHelpText('after', `
Examples:
  $ faceclust eval --out lfw-out                      the latest call, identities from folder names
  $ faceclust eval --out pics-out --call 3 --truth people.csv
  $ faceclust eval --out pics-out --truth ~/labelled          identity = the subfolder of ~/labelled`);
  return cmd;
}
