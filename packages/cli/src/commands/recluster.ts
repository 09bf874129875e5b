/** `faceclust recluster <person>`: split one person's faces by clustering them alone. */
import { Command } from 'commander';
import { addParamFlags, parseMethod, parseMethodFlags, parseMetricFlags, type MethodFlags } from './cluster-flags.js';
import { EXIT, failure, openClustering, Ui, type CommonFlags } from './common.js';
import type { ReclusterOptions } from '../facial-clustering.js';
import { DEFAULTS, UsageError, type CwParams } from '../options.js';

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
      // every face of the person is placed: no minimum cluster size here
      const { minClusterSize: _, ...params } = parseMethodFlags(method, flags) as CwParams;
      const opened = openClustering(undefined, { ...flags, detect: true }, ui, `faceclust ${argv.join(' ')}`);
      dispose = opened.dispose;
      const r = await opened.fc.reclusterPerson(id, { ...params, ...parseMetricFlags(flags), method, allowSamePhoto: flags.allowSamePhoto === true } as ReclusterOptions);
      if (flags.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else if (!flags.quiet) process.stdout.write(`${r.summary}\n`);
      process.exitCode = EXIT.ok;
    } catch (err) {
      process.exitCode = failure(err, ui);
    } finally {
      dispose();
    }
  });
  return cmd;
}
