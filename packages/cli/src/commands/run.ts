/** `faceclust run <inputs...>`: embed (or resume) and cluster in one go, then write the reports. */
import { Command } from 'commander';
import { DEFAULTS } from '../options.js';
import { addCommonFlags, type CommonFlags } from './common.js';
import { addMethodFlags, clusterAndReport, type MethodFlags } from './cluster-flags.js';

export function runCommand(argv: string[]): Command {
  const cmd = new Command('run')
    .description('find the images, detect, align and embed every face, cluster them and write the reports')
    .argument('<inputs...>', 'photos and folders (searched recursively)')
    .option('-m, --method <cw|dbscan>', 'clustering method: cw (chinese whispers) or dbscan', 'cw')
    .option('--recluster', 'on a folder that has people: cluster every face again (corrections kept, ids and names matched) instead of assigning only the new faces');
  addMethodFlags(cmd);
  addCommonFlags(cmd, { embed: true });
  cmd.action((inputs: string[], flags: CommonFlags & MethodFlags & { method: string }) =>
    clusterAndReport(flags.method, '--method', inputs, flags, `faceclust ${argv.join(' ')}`),
  );
  cmd.addHelpText('after', `
Examples:
  $ faceclust run ~/Pictures/party                       cluster with the defaults into ./faceclust-out
  $ faceclust run photos/ more.jpg --out people --saveas  also a folder of face crops per person
  $ faceclust run crops/ --no-detect --method dbscan --eps 0.9 --min-samples 2
  $ faceclust run photos/ --json > clusters.json         machine-readable result on stdout
  $ faceclust run photos/ --out people                   again, with new photos: they join the people (names kept)

Defaults: --method cw --threshold ${DEFAULTS.threshold}; dbscan --eps ${DEFAULTS.eps} --min-samples ${DEFAULTS.minSamples}.
Exit codes: 0 done, 1 usage error, 2 done but some files were skipped (listed on stderr), 130 interrupted.`);
  return cmd;
}
