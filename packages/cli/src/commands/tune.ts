/** `faceclust tune --method cw|dbscan`: sweep the threshold over the stored faces, suggest one, chart it. */
import fs from 'node:fs';
import path from 'node:path';
import { BACKENDS, METRIC_PARAMS } from '@faceclust/cluster';
import { FaceStore } from '@faceclust/embed';
import { Command } from 'commander';
import { loadTruth, parseTruthFlag } from '../ground-truth.js';
import { DEFAULTS, describeParams, parseChoiceFlag, parseDistanceFlag, parseNumberFlag, UsageError } from '../options.js';
import { prepareOutDir, reserveCall, STORE_FILE, writeNewFile } from '../output.js';
import { kDistanceChartSvg, sweepChartSvg, writePng } from '../reports/chart.js';
import { appendLog, ms } from '../reports/log.js';
import { defaultRange, mergeTable, tune, tuneCsv, tuneJson, tuneSummary, tuneTable } from '../tune.js';
import { EXIT, failure, parseThreads, Ui } from './common.js';
import { parseMethod, parseMetricFlags } from './cluster-flags.js';
import { metricChoice } from '../metric.js';

interface TuneFlags {
  out: string;
  method: string;
  from?: string;
  to?: string;
  steps?: string;
  truth?: string;
  metric?: string;
  p?: string;
  metricParams?: string;
  backend?: string;
  threads?: string;
  iterations?: string;
  seed?: string;
  minClusterSize?: string;
  mergeRadius?: string;
  minSamples?: string;
  model?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

const CW_ONLY = { iterations: '--iterations', seed: '--seed', minClusterSize: '--min-cluster-size', mergeRadius: '--merge-radius' } as const;

export function tuneCommand(argv: string[]): Command {
  const cmd = new Command('tune')
    .description('sweep the threshold (cw) or eps (dbscan) over the faces in <out>: a table, a CSV, a chart and a suggested value')
    .option('-m, --method <cw|dbscan>', 'clustering method', 'cw')
    .option('--from <distance>', `smallest threshold (default for euclidean: cw ${defaultRange('cw', 'euclidean')![0]}, dbscan ${defaultRange('dbscan', 'euclidean')![0]}; the same factors of each metric's default; needed for mahalanobis)`)
    .option('--to <distance>', `largest threshold (default for euclidean: cw ${defaultRange('cw', 'euclidean')![1]}, dbscan ${defaultRange('dbscan', 'euclidean')![1]})`)
    .option('--steps <n>', 'values from --from to --to, ends included, rounded to the step (plus a row at the suggested value)', '30')
    .option('--truth <folder|dir|file.csv>', 'score every value against ground truth: `folder` = each photo\'s parent folder name; a folder path = the subfolder of it the photo lies in (<dir>/<Name>/…); or a CSV of file,identity')
    .option('--iterations <n>', `cw: maximum passes (default ${DEFAULTS.iterations})`)
    .option('--seed <n>', `cw: seed of the visiting order (default ${DEFAULTS.seed})`)
    .option('--min-cluster-size <n>', `cw: smaller clusters go to no_class (default ${DEFAULTS.minClusterSize})`)
    .option('--merge-radius <distance>', 'cw: a fixed merge radius at every threshold (default: 0.9 × each threshold, and a table of merge radii at the suggested threshold)')
    .option('--min-samples <n>', `dbscan: faces (itself included) within eps that make a core face (default ${DEFAULTS.minSamples})`)
    .option('--metric <name>', `${METRIC_PARAMS.metric.doc} (default ${DEFAULTS.metric})`)
    .option('--p <p>', `${METRIC_PARAMS.p.doc} (default ${METRIC_PARAMS.p.default}; inf for Infinity)`)
    .option('--metric-params <file.json>', 'a JSON object with w (minkowski), V (seuclidean) or VI (mahalanobis); default: unweighted, V or VI estimated from the faces')
    .option('--backend <name>', `clustering backend: ${BACKENDS.join(', ')} (default auto)`)
    .option('--threads <n>', 'threads for the distance stage (default: every core)')
    .option('-o, --out <dir>', 'output folder holding faces.sqlite (from faceclust embed)', DEFAULTS.out)
    .option('--model <name|file.onnx>', 'which model\'s embeddings, as given to `faceclust embed`')
    .option('--json', 'print { method, suggested, rows } as JSON on stdout instead of the table')
    .option('-q, --quiet', 'no messages except errors')
    .option('-v, --verbose', 'timings on stderr');
  cmd.action(async (flags: TuneFlags) => {
    const ui = new Ui(flags);
    let store: FaceStore | undefined;
    try {
      const method = parseMethod(flags.method, '--method');
      const num = (flag: string, raw: string | undefined, o: Parameters<typeof parseNumberFlag>[1]) => (raw === undefined ? undefined : parseNumberFlag(flag, o)(raw));
      if (method === 'cw' && flags.minSamples !== undefined) throw new UsageError('--min-samples applies to dbscan, not to cw (chinese whispers)');
      const wrong = method === 'dbscan' ? Object.entries(CW_ONLY).find(([k]) => flags[k as keyof TuneFlags] !== undefined) : undefined;
      if (wrong) throw new UsageError(`${wrong[1]} applies to cw (chinese whispers), not to dbscan`);
      const m = parseMetricFlags(flags);
      const distance = (flag: string, raw: string | undefined) => (raw === undefined ? undefined : parseDistanceFlag(flag, metricChoice(m))(raw));
      const options = {
        method,
        from: distance('--from', flags.from),
        to: distance('--to', flags.to),
        steps: num('--steps', flags.steps, { min: 1, max: 1000, integer: true }),
        iterations: num('--iterations', flags.iterations, { min: 1, integer: true }),
        seed: num('--seed', flags.seed, { min: 0, max: 0xffffffff, integer: true }),
        minClusterSize: num('--min-cluster-size', flags.minClusterSize, { min: 1, integer: true }),
        mergeRadius: num('--merge-radius', flags.mergeRadius, { min: 0 }),
        minSamples: num('--min-samples', flags.minSamples, { min: 1, integer: true }),
        ...m,
        backend: flags.backend === undefined ? undefined : parseChoiceFlag('--backend', BACKENDS)(flags.backend),
        threads: parseThreads(flags.threads),
      };
      if (options.from !== undefined && options.to !== undefined && options.to < options.from) {
        throw new UsageError(`Invalid range: --to (${options.to}) must be >= --from (${options.from})`);
      }
      if (options.mergeRadius !== undefined && options.from !== undefined && options.mergeRadius > options.from) {
        throw new UsageError(`Invalid value for --merge-radius: expected at most --from (${options.from}): each threshold's graph holds the edges up to it, but received ${options.mergeRadius}`);
      }
      const truthSource = flags.truth === undefined ? undefined : parseTruthFlag(flags.truth);
      const out = prepareOutDir(flags.out);
      const storePath = path.join(out, STORE_FILE);
      if (!fs.existsSync(storePath)) throw new UsageError(`No embedding store at ${storePath}: run \`faceclust embed <folders> --out ${out}\` first`);
      store = FaceStore.open(storePath);
      const model = store.modelId(flags.model);
      // photos deleted from disk leave every clustering, a sweep too (`faceclust prune` forgets them)
      const set = store.loadFaces(model, { files: store.listImages({ model }).map((r) => r.path).filter((p) => fs.existsSync(p)) });
      if (set.faces.length === 0) throw new UsageError(`The store ${storePath} holds no faces embedded with model ${set.model}: run \`faceclust embed\` first`);
      const truth = truthSource ? loadTruth(set.faces.map((f) => f.file), truthSource) : undefined;
      if (truth && truth.identities === 0) throw new UsageError(`Invalid value for --truth: no face in ${storePath} has an identity in ${truth.source} (received ${JSON.stringify(flags.truth)})`);
      const when = new Date();
      const r = await tune(set.vectors, set.dim, { ...options, truth: truth?.labels });

      const call = reserveCall(out, { kind: `tune ${method}`, command: `faceclust ${argv.join(' ')}`, store });
      const id = String(call).padStart(3, '0');
      const csv = path.join(out, `tune-${id}-${method}.csv`);
      const chart = path.join(out, `tune-${id}-${method}.png`);
      const kdChart = path.join(out, `tune-${id}-${method}-kdistance.png`);
      await writeNewFile(csv, tuneCsv(r));
      const label = method === 'cw' ? 'threshold' : 'eps';
      await writePng(sweepChartSvg(r.rows, { title: `faceclust tune: ${method === 'cw' ? 'chinese whispers' : `dbscan, minSamples ${r.params.minSamples}`} (${set.faces.length} faces)`, xLabel: `${label} (${r.metric} distance)`, suggested: r.suggested ?? undefined }), chart);
      if (r.kDistances) {
        const k = Number(r.params.minSamples);
        await writePng(kDistanceChartSvg(r.kDistances, { k, title: `k-distance plot (k = minSamples = ${k}, ${set.faces.length} faces)`, suggested: r.suggested ?? undefined, cap: Number(r.params.to) }), kdChart);
      }
      const merges = mergeTable(r);
      const table = tuneTable(r) + (merges ? `\n\n${merges}` : '');
      const summary = tuneSummary(r);
      const outputs = [csv, chart, ...(r.kDistances ? [kdChart] : [])];
      appendLog(out, `call ${id}: tune ${method === 'cw' ? 'chinese whispers' : 'dbscan'}`, when, [
        ['command', `faceclust ${argv.join(' ')}`],
        ['method', method === 'cw' ? 'chinese whispers' : 'dbscan'],
        ['parameters', describeParams(r.params)],
        ['model', set.model],
        ['faces', set.faces.length],
        ['ground truth', truth ? `${truth.source}: ${truth.identities} people${truth.unlabelled ? `, ${truth.unlabelled} faces without identity (scored as their own person)` : ''}` : 'none'],
        ['suggested', summary],
        ['sweep', `\n${table}`],
        ['backend', r.backend],
        ['graph edges', `${r.edges} (at ${r.params.to})`],
        ['timings', `graph ${ms(r.timings.graphMs)}, ${r.rows.length} clusterings ${ms(r.timings.clusterMs)}, total ${ms(r.timings.totalMs)}`],
        ['outputs', outputs.join('\n')],
      ]);
      store.endCall(call);
      if (flags.json) process.stdout.write(`${JSON.stringify(tuneJson(r))}\n`);
      else if (!flags.quiet) {
        const rel = (p: string) => {
          const r = path.relative(process.cwd(), p);
          return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : p;
        };
        process.stdout.write(`${table}\n\n${summary}\ncsv:   ${rel(csv)}\nchart: ${outputs.slice(1).map(rel).join(', ')}\nlog:   ${rel(path.join(out, 'log.txt'))}\n`);
      }
      ui.verbose(`graph ${ms(r.timings.graphMs)}, ${r.rows.length} clusterings ${ms(r.timings.clusterMs)} (${r.backend})`);
      process.exitCode = EXIT.ok;
    } catch (err) {
      process.exitCode = failure(err, ui);
    } finally {
      store?.close();
    }
  });
  cmd.addHelpText('after', `
The suggested value comes from the data alone: the valley between the two modes of the faces'
nearest-neighbour distances (photos of the same person vs strangers). With --truth every value is
also scored (pairwise and BCubed F). The table has a row at the suggested value, marked *, when it lies
inside the range (added between two of the --steps values when it is not one of them).

Examples:
  $ faceclust tune --out pics-out                                  cw, 30 values, default range
  $ faceclust tune --method dbscan --min-samples 3 --out pics-out  also writes the k-distance plot
  $ faceclust tune --out lfw-out --truth folder --from 0.8 --to 1.1 --steps 31 --json
  $ faceclust tune --out pics-out --truth ~/labelled               identity = the subfolder of ~/labelled`);
  return cmd;
}
