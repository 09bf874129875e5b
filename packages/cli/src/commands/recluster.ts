/** `faceclust recluster <person>`: split one person's faces by clustering them alone. */
import { Command } from 'commander';
import { count } from '../reports/log.js';
import { addParamFlags, parseMethod, parseMethodFlags, type MethodFlags } from './cluster-flags.js';
import { EXIT, failure, openClustering, Ui, type CommonFlags } from './common.js';
import { DEFAULTS, UsageError } from '../options.js';

export function reclusterCommand(argv: string[]): Command {
  const cmd = new Command('recluster')
    .description("cluster one person's faces alone to split a wrong merge: the part with its confirmed faces (or the largest) keeps the person, the others become new people; `undo` reverses it")
    .argument('<person>', 'person id, as `faceclust people` lists it')
    .option('-m, --method <cw|dbscan>', 'clustering method', 'cw')
    .option('-o, --out <dir>', 'output folder', DEFAULTS.out)
    .option('--json', 'print { "correction", "person", "people": [ { "id", "faces" } ], "noise", "summary" }')
    .option('-q, --quiet', 'no messages except errors');
  addParamFlags(cmd);
  cmd.action(async (person: string, flags: CommonFlags & MethodFlags & { method: string }) => {
    const ui = new Ui(flags);
    let dispose = () => {};
    try {
      const id = Number(person);
      if (!/^\d+$/.test(person) || id < 1) throw new UsageError(`Invalid value for <person>: expected a person id (an integer >= 1) but received "${person}"`);
      const method = parseMethod(flags.method, '--method');
      const params = parseMethodFlags(method, flags);
      const opened = openClustering(undefined, { ...flags, detect: true }, ui, `faceclust ${argv.join(' ')}`);
      dispose = opened.dispose;
      const r = await opened.fc.reclusterPerson(id, { ...params, method, allowSamePhoto: flags.allowSamePhoto === true } as Parameters<typeof opened.fc.reclusterPerson>[1]);
      if (flags.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else if (!flags.quiet) {
        process.stdout.write(`${r.summary}\n`);
        if (r.people.length === 1) process.stdout.write(`person ${r.person} stays whole (${count(r.people[0]!.faces, 'face')}): its faces form one cluster at these parameters\n`);
      }
      process.exitCode = EXIT.ok;
    } catch (err) {
      process.exitCode = failure(err, ui);
    } finally {
      dispose();
    }
  });
  return cmd;
}
