/** `faceclust cluster cw|dbscan`: the second half: cluster what `faceclust embed` stored, as often as you like. */
import { Command } from 'commander';
import { addCommonFlags, type CommonFlags } from './common.js';
import { addMethodFlags, clusterAndReport, type MethodFlags } from './cluster-flags.js';

export function clusterCommand(argv: string[]): Command {
  const cmd = new Command('cluster')
    .description('cluster the faces already embedded in <out> and write the reports (one xlsx per call)')
    .argument('<method>', 'cw (chinese whispers) or dbscan');
  addMethodFlags(cmd);
  addCommonFlags(cmd, { embed: false });
  cmd.action((methodArg: string, flags: CommonFlags & MethodFlags) =>
    clusterAndReport(methodArg, 'method', undefined, flags, `faceclust ${argv.join(' ')}`),
  );
  cmd.addHelpText('after', `
Examples:
  $ faceclust cluster cw --out pics-out --threshold 0.9
  $ faceclust cluster dbscan --out pics-out --eps 0.9 --min-samples 3 --saveas
  $ faceclust cluster dbscan --out pics-out --metric cosine --eps 0.45
  $ faceclust cluster cw --out pics-out --metric minkowski --p 3     default threshold 0.414 (each metric has its own)
  $ faceclust cluster cw --out pics-out --metric mahalanobis --threshold 21   mahalanobis has no default
  $ faceclust cluster cw --out pics-out --neighbors hnsw     approximate neighbours, index kept in pics-out/hnsw/`);
  return cmd;
}
