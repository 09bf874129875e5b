/**
 * The correction commands: merge, separate, move, reject, notface, name, undo and corrections. Each stores its
 * correction at once and prints what it did (`--json`: the correction as stored).
 */
import { Command } from 'commander';
import type { Correction } from '@faceclust/embed';
import { listCorrections, merge, move, namePerson, notFace, parseFaceRef, reject, separate, undo } from '../corrections.js';
import { DEFAULTS, parseNumberFlag, UsageError } from '../options.js';
import { EXIT, failure, Ui } from './common.js';

interface Flags {
  out: string;
  json?: boolean;
  quiet?: boolean;
}

const parsePerson = (flag: string) => parseNumberFlag(flag, { min: 1, integer: true });

/** `--to`: a person id or `new`. */
function parseTarget(raw: string): number | 'new' {
  if (raw === 'new') return 'new';
  if (/^\d+$/.test(raw) && Number(raw) >= 1) return Number(raw);
  throw new UsageError(`Invalid value for --to: expected a person id (an integer >= 1) or new but received "${raw}"`);
}

/** A correction command: --out, --json, -q; prints the correction's summary. */
function correctionCommand(name: string, description: string, act: (args: string[], flags: Flags & Record<string, string | undefined>) => Correction | undefined): Command {
  const cmd = new Command(name)
    .description(description)
    .option('-o, --out <dir>', 'output folder', DEFAULTS.out)
    .option('--json', 'print the correction as stored: { "id", "kind", "args", "summary", … }')
    .option('-q, --quiet', 'no messages except errors');
  cmd.action((...all: unknown[]) => {
    const sub = all.at(-1) as Command;
    const flags = sub.opts() as Flags & Record<string, string | undefined>;
    const args = sub.args;
    const ui = new Ui(flags);
    try {
      const c = act(args, flags);
      if (flags.json) process.stdout.write(`${JSON.stringify(c ?? null)}\n`);
      else if (!flags.quiet) process.stdout.write(c ? `${name === 'undo' ? `undid correction ${c.id}: ` : ''}${c.summary}\n` : 'nothing to undo\n');
      process.exitCode = EXIT.ok;
    } catch (err) {
      process.exitCode = failure(err, ui);
    }
  });
  return cmd;
}

export function correctionCommands(argv: string[]): Command[] {
  const command = `faceclust ${argv.join(' ')}`;
  return [
    correctionCommand('merge', 'merge people into one (any number at once): their faces are confirmed to it for good', (args, flags) =>
      merge(flags.out, args.map((a) => parsePerson('<person>')(a)), { into: flags.into === undefined ? undefined : parsePerson('--into')(flags.into), command }),
    )
      .argument('<person...>', 'person ids, as `faceclust people` lists them')
      .option('--into <person>', 'the person that stays (default: the first listed)'),
    correctionCommand('separate', 'two people are different people (no to a suggested pair): never joined by a clustering nor suggested again', (args, flags) =>
      separate(flags.out, parsePerson('<a>')(args[0]!), parsePerson('<b>')(args[1]!), { command }),
    )
      .argument('<a>', 'person id, as `faceclust people` and `faceclust suggest` list it')
      .argument('<b>', 'the other person id'),
    correctionCommand('move', 'move faces to a person (or a new one): confirmed there, never again with the faces they left', (args, flags) =>
      move(flags.out, args.map(parseFaceRef), parseTarget(flags.to!), { command }),
    )
      .argument('<face...>', 'face ids, or photo#index, as the xlsx and --json show them')
      .requiredOption('--to <person|new>', 'the person to move them to, or `new`'),
    correctionCommand('reject', '"not this person": faces leave a person and are never again clustered with its faces', (args, flags) =>
      reject(flags.out, args.map(parseFaceRef), parsePerson('--from')(flags.from!), { command }),
    )
      .argument('<face...>', 'face ids, or photo#index')
      .requiredOption('--from <person>', 'the person they are not'),
    correctionCommand('notface', 'mark detections that are not faces: left out of people and every clustering', (args, flags) =>
      notFace(flags.out, args.map(parseFaceRef), { command }),
    ).argument('<face...>', 'face ids, or photo#index'),
    correctionCommand('undo', 'undo the latest correction (again: the one before)', (_args, flags) => undo(flags.out, { command })),
  ];
}

/** `faceclust name <person> <name>`. */
export function nameCommand(argv: string[]): Command {
  const command = `faceclust ${argv.join(' ')}`;
  return correctionCommand('name', 'name a person (an empty name removes it)', (args, flags) =>
    namePerson(flags.out, parsePerson('<person>')(args[0]!), args[1]!.trim() === '' ? null : args[1]!, { command }),
  )
    .argument('<person>', 'person id, as `faceclust people` lists it')
    .argument('<name>', 'the name');
}

export function correctionsCommand(): Command {
  return new Command('corrections')
    .description('list the corrections of an output folder, oldest first')
    .option('-o, --out <dir>', 'output folder', DEFAULTS.out)
    .option('--json', 'print { "corrections": [ { "id", "kind", "args", "summary", "createdAt", "undoneAt"? } ] }')
    .action((flags: Flags) => {
      const ui = new Ui(flags);
      try {
        const list = listCorrections(flags.out);
        if (flags.json) process.stdout.write(`${JSON.stringify({ corrections: list })}\n`);
        else {
          const lines = list.map((c) => `${String(c.id).padStart(5)}  ${c.createdAt.slice(0, 19).replace('T', ' ')}  ${c.summary}${c.undoneAt ? '  (undone)' : ''}`);
          process.stdout.write(`${(lines.length ? lines : ['no corrections yet']).join('\n')}\n`);
        }
        process.exitCode = EXIT.ok;
      } catch (err) {
        process.exitCode = failure(err, ui);
      }
    });
}
