/** `faceclust cluster cw|dbscan`: the second half: cluster what `faceclust embed` stored, as often as you like. */
import { Command } from 'commander';
import { addCommonFlags, EXIT, failure, openClustering, parseSaveAs, printResult, Ui, type CommonFlags } from './common.js';
import { addMethodFlags, parseGateFlags, parseMethod, parseMethodFlags, parseNeighborFlags, type MethodFlags } from './cluster-flags.js';

export function clusterCommand(argv: string[]): Command {
  const cmd = new Command('cluster')
    .description('cluster the faces already embedded in <out> and write the reports (one xlsx per call)')
    .argument('<method>', 'cw (chinese whispers) or dbscan');
  addMethodFlags(cmd);
  addCommonFlags(cmd, { embed: false });
  cmd.action(async (methodArg: string, flags: CommonFlags & MethodFlags) => {
    const ui = new Ui(flags);
    let dispose = () => {};
    try {
      const method = parseMethod(methodArg, 'method');
      const params = parseMethodFlags(method, flags);
      const saveas = parseSaveAs(flags.saveas);
      const gate = parseGateFlags(flags);
      const near = parseNeighborFlags(flags, 'minSamples' in params ? params.minSamples - 1 : 1);
      const opened = openClustering(undefined, { ...flags, detect: true }, ui, `faceclust ${argv.join(' ')}`);
      dispose = opened.dispose;
      const r = method === 'cw' ? await opened.fc.chineseWhispers({ ...params, saveas, ...gate, ...near }) : await opened.fc.dbscan({ ...params, saveas, ...gate, ...near });
      printResult(r, flags, ui);
      process.exitCode = r.skipped.length ? EXIT.skipped : EXIT.ok;
    } catch (err) {
      process.exitCode = failure(err, ui);
    } finally {
      dispose();
    }
  });
  cmd.addHelpText('after', `
Examples:
  $ faceclust cluster cw --out pics-out --threshold 0.9
  $ faceclust cluster dbscan --out pics-out --eps 0.9 --min-samples 3 --saveas
  $ faceclust cluster dbscan --out pics-out --metric cosine --eps 0.45
  $ faceclust cluster cw --out pics-out --neighbors hnsw     approximate neighbours, index kept in pics-out/hnsw/`);
  return cmd;
}
