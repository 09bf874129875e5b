/** `faceclust people [adopt]` and `faceclust name`: the people of an output folder. */
import { Command } from 'commander';
import { DEFAULTS, parseNumberFlag } from '../options.js';
import { adoptCall, listPeople, namePerson } from '../people.js';
import { count } from '../reports/log.js';
import { EXIT, failure, Ui } from './common.js';

interface PeopleFlags {
  out: string;
  json?: boolean;
  quiet?: boolean;
  call?: string;
}

export function peopleCommand(argv: string[]): Command {
  const cmd = new Command('people')
    .description('list the people of an output folder (largest first); `people adopt` makes a clustering call the people')
    .option('-o, --out <dir>', 'output folder', DEFAULTS.out)
    .option('--json', 'print { "people": [ { "id", "name", "faces": [ { "faceId", "file", "face" } ] } ] }')
    .option('-q, --quiet', 'no messages except errors');
  cmd.action((flags: PeopleFlags) => {
    const ui = new Ui(flags);
    try {
      const people = listPeople(flags.out);
      if (flags.json) process.stdout.write(`${JSON.stringify({ people })}\n`);
      else if (!flags.quiet) {
        const lines = people.length
          ? people.map((p) => `${String(p.id).padStart(6)}  ${(p.name ?? '(unnamed)').padEnd(24)}  ${count(p.faces.length, 'face')}`)
          : ['no people yet: `faceclust people adopt` makes the latest clustering call the people'];
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      process.exitCode = EXIT.ok;
    } catch (err) {
      process.exitCode = failure(err, ui);
    }
  });
  cmd
    .command('adopt')
    .description("make a clustering call the folder's people: its clusters matched to the people there are (ids and names kept), the rest new")
    .option('--call <n>', 'which call (default: the latest clustering)')
    // --out, --json and -q are the people command's, given before or after `adopt`
    .action((local: { call?: string }, sub: Command) => {
      const flags = { ...(sub.optsWithGlobals() as PeopleFlags), ...local };
      const ui = new Ui(flags);
      try {
        const call = flags.call === undefined ? undefined : parseNumberFlag('--call', { min: 1, integer: true })(flags.call);
        const r = adoptCall(flags.out, { call, command: `faceclust ${argv.join(' ')}` });
        if (flags.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else if (!flags.quiet) process.stdout.write(`adopted call ${r.call}: ${count(r.kept, 'person', 'people')} kept, ${r.created} new, ${count(r.faces, 'face')} assigned\n`);
        process.exitCode = EXIT.ok;
      } catch (err) {
        process.exitCode = failure(err, ui);
      }
    });
  return cmd;
}

export function nameCommand(argv: string[]): Command {
  return new Command('name')
    .description('name a person of an output folder (an empty name removes it)')
    .argument('<person>', 'person id, as `faceclust people` lists it')
    .argument('<name>', 'the name')
    .option('-o, --out <dir>', 'output folder', DEFAULTS.out)
    .action((person: string, name: string, flags: { out: string }) => {
      const ui = new Ui({});
      try {
        const id = parseNumberFlag('<person>', { min: 1, integer: true })(person);
        namePerson(flags.out, id, name.trim() === '' ? null : name, `faceclust ${argv.join(' ')}`);
        process.exitCode = EXIT.ok;
      } catch (err) {
        process.exitCode = failure(err, ui);
      }
    });
}
