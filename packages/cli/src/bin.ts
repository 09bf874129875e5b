#!/usr/bin/env node
/** The `faceclust` command: run = embed + cluster; embed and cluster are the two halves. */
import { existsSync, readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { callsCommand } from './commands/calls.js';
import { clusterCommand } from './commands/cluster.js';
import { embedCommand } from './commands/embed.js';
import { evalCommand } from './commands/eval.js';
import { exportCommand } from './commands/export.js';
import { EXIT } from './commands/common.js';
import { correctionCommands, correctionsCommand, nameCommand } from './commands/correct.js';
import { peopleCommand } from './commands/people.js';
import { reclusterCommand } from './commands/recluster.js';
import { pruneCommand } from './commands/prune.js';
import { runCommand } from './commands/run.js';
import { serveCommand } from './commands/serve.js';
import { suggestCommand } from './commands/suggest.js';
import { tuneCommand } from './commands/tune.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
// a reader that stops early (`faceclust run --help | head`) closes stdout: that ends the process quietly
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const argv = process.argv.slice(2);
/**
 * `--saveas` takes its value only when attached (`--saveas=photos`): commander would take the next word,
 * so `faceclust run --saveas ~/Pictures` lost its input folder. A bare `--saveas` means face crops.
 */
const end = argv.includes('--') ? argv.indexOf('--') : argv.length;
const parsed = argv.map((a, i) => (a === '--saveas' && i < end ? '--saveas=faces' : a));

const program = new Command('faceclust')
  .description('Find the unique people in a pile of photos: detect, align and embed every face, cluster them by identity.')
  .version(version)
  .showHelpAfterError('(add --help for usage)')
  .exitOverride()
  .addCommand(runCommand(argv))
  .addCommand(embedCommand(argv))
  .addCommand(clusterCommand(argv))
  .addCommand(tuneCommand(argv))
  .addCommand(evalCommand(argv))
  .addCommand(pruneCommand(argv))
  .addCommand(callsCommand())
  .addCommand(correctionsCommand())
  .addCommand(peopleCommand(argv))
  .addCommand(nameCommand(argv))
  .addCommand(exportCommand(argv))
  .addCommand(suggestCommand())
  .addCommand(serveCommand())
  .addHelpText('after', `
Examples:
  $ faceclust ~/Pictures/party                           embed and cluster, reports in ./faceclust-out (= faceclust run)
  $ faceclust embed ~/Pictures --out pics-out            embed once (resumable) …
  $ faceclust cluster cw --out pics-out --threshold 0.9  … then cluster as often as you like
  $ faceclust cluster dbscan --out pics-out --saveas     DBSCAN, plus a folder of faces per cluster
  $ faceclust prune --out pics-out                       forget photos deleted from disk
  $ faceclust calls --out pics-out                       every call so far, with its parameters and counts
  $ faceclust people adopt --out pics-out                the latest clustering becomes the folder's people
  $ faceclust name 3 "Ann" --out pics-out                name a person; later adoptions keep ids and names
  $ faceclust merge 3 7 --out pics-out                   one person, for good (also: separate, move, reject, notface, undo)

Outputs in --out: faces.sqlite (embeddings), log.txt (every call), clusters-NNN-*.xlsx,
report.html (index) and report-NNN-*/report.html, saveas-NNN-*/ with --saveas.
Exit codes: 0 done, 1 usage error, 2 done but some files were skipped, 130 interrupted.`);
for (const cmd of [...correctionCommands(argv), reclusterCommand(argv)]) program.addCommand(cmd);
for (const cmd of program.commands) cmd.exitOverride();

/**
 * `faceclust ~/Pictures` is the main job, as `faceclust run ~/Pictures`: a first word that is no command and
 * names a file or folder that exists runs `run` (a mistyped command still gets commander's error).
 */
const commandNames = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
const first = parsed[0];
const runByDefault = first !== undefined && !first.startsWith('-') && !commandNames.has(first) && existsSync(first);

try {
  await program.parseAsync(runByDefault ? ['run', ...parsed] : parsed, { from: 'user' });
} catch (err) {
  if (err instanceof CommanderError) {
    // help and version exit 0; every parse error (unknown option, missing argument) is a usage error
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    process.stderr.write(`faceclust: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = EXIT.usage;
  }
}
