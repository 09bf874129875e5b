/** `faceclust people [adopt]` and `faceclust name`: the people of an output folder. */
import { Command } from 'commander';
import { DEFAULTS, parseNumberFlag } from '../options.js';
import { removePerson } from '../corrections.js';
import { adoptCall, listPeople } from '../people.js';
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
  cmd
    .command('remove')
    .description('remove a person that has no faces left (photos deleted, faces moved)')
    .argument('<person>', 'person id')
    .action((person: string, _local: unknown, sub: Command) => {
      const flags = sub.optsWithGlobals() as PeopleFlags;
      const ui = new Ui(flags);
      try {
        const c = removePerson(flags.out, parseNumberFlag('<person>', { min: 1, integer: true })(person), { command: `faceclust ${argv.join(' ')}` });
        if (flags.json) process.stdout.write(`${JSON.stringify(c)}\n`);
        else if (!flags.quiet) process.stdout.write(`${c.summary}\n`);
        process.exitCode = EXIT.ok;
      } catch (err) {
        process.exitCode = failure(err, ui);
      }
    });
  return cmd;
}
