/** What the three commands share: common flags, messages on stderr, SIGINT handling, exit codes. */
import path from 'node:path';
import type { Command } from 'commander';
import { AbortError, CallAbortedError, FacialClustering } from '../facial-clustering.js';
import { EmbedError } from '@faceclust/embed';
import { DEFAULTS, parseNumberFlag, parseSaveAsFlag, UsageError, type SaveAs } from '../options.js';
import { OutputError } from '../output.js';
import { count } from '../reports/log.js';
import { createProgress, progressEnabled } from '../progress.js';
import { clusterName, writeJson, type ClusteringResult, type SkippedFile } from '../result.js';

/** 0 done; 1 usage error (bad option, missing input, no images, unwritable output); 2 done but files skipped; 130 interrupted. */
export const EXIT = { ok: 0, usage: 1, skipped: 2, interrupted: 130 } as const;

export interface CommonFlags {
  out: string;
  model?: string;
  detect: boolean;
  threads?: string;
  quiet?: boolean;
  verbose?: boolean;
  json?: boolean;
}

export function addCommonFlags(cmd: Command, opts: { embed: boolean }): Command {
  cmd.option('-o, --out <dir>', 'output folder: embedding store, log.txt, reports', DEFAULTS.out);
  if (opts.embed) {
    cmd
      .option('--model <name|file.onnx>', "feature extractor: 'default' (built in) or a path to an ArcFace-style ONNX file")
      .option('--no-detect', 'inputs are ready face crops, one face each: skip detection')
      .option('--threads <n>', 'worker threads for embedding (default: every core)');
  } else {
    cmd.option('--model <name|file.onnx>', 'which model\'s embeddings to cluster, as given to `faceclust embed`');
  }
  return cmd
    .option('--json', 'print one JSON object on stdout instead of the summary (messages go to stderr)')
    .option('-q, --quiet', 'no progress bar, no messages except errors')
    .option('-v, --verbose', opts.embed ? 'one line per photo while embedding, and per step after' : 'one line per step (clustering, each report)');
}

/** Messages for people: stderr, so stdout stays the summary or the JSON. */
export class Ui {
  constructor(readonly flags: Pick<CommonFlags, 'quiet' | 'verbose' | 'json'>) {}
  info(msg: string): void {
    if (!this.flags.quiet) process.stderr.write(`${msg}\n`);
  }
  verbose(msg: string): void {
    if (this.flags.verbose && !this.flags.quiet) process.stderr.write(`${msg}\n`);
  }
  error(msg: string): void {
    process.stderr.write(`faceclust: ${msg}\n`);
  }
  skipped(list: SkippedFile[]): void {
    if (list.length === 0) return;
    process.stderr.write(`faceclust: ${list.length} file${list.length === 1 ? ' was' : 's were'} skipped:\n`);
    for (const s of list) process.stderr.write(`  ${s.path}: ${s.reason}\n`);
  }
}

export function parseThreads(raw: string | undefined): number | undefined {
  return raw === undefined ? undefined : parseNumberFlag('--threads', { min: 1, max: 256, integer: true })(raw);
}

export function parseSaveAs(raw: string | boolean | undefined): SaveAs {
  return raw === undefined || raw === false ? false : parseSaveAsFlag(raw);
}

/**
 * Builds the FacialClustering of a command with its progress bar and SIGINT handling: the first Ctrl-C
 * during embedding aborts cleanly (photos in flight are finished and stored), a second one, or one after
 * embedding, exits at once (outputs are written under temporary names and renamed, or in new folders).
 */
export function openClustering(inputs: string[] | undefined, flags: CommonFlags, ui: Ui, command: string): { fc: FacialClustering; dispose: () => void } {
  const controller = new AbortController();
  const bar = createProgress('embedding', progressEnabled(flags));
  const reportBar = createProgress('reports  ', progressEnabled(flags), 'faces');
  let reporting = false;
  let started = false;
  let embedding = true;
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    bar.stop();
    reportBar.stop();
    // embedding finishes the photos in flight; clustering and the reports stop within a second and keep nothing
    ui.error(embedding ? 'interrupted: finishing the photos in flight (Ctrl-C again to quit at once)…' : 'interrupted: stopping the clustering call (Ctrl-C again to quit at once)…');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const fc = new FacialClustering({
    pathlist: inputs,
    outPath: flags.out,
    preprocess: flags.detect,
    model: flags.model,
    threads: parseThreads(flags.threads),
    signal: controller.signal,
    command,
    onStep(message) {
      embedding = false; // the steps after embedding: clustering, then each report
      ui.verbose(message);
    },
    onReportProgress(done, total) {
      // only worth a bar when there is something to wait for
      if (total < 2000) return;
      if (!reporting) {
        reportBar.start(total);
        reporting = true;
      }
      reportBar.update(done);
      if (done === total) reportBar.stop();
    },
    onProgress(ev) {
      if (!started) {
        bar.start(ev.total);
        started = true;
      }
      bar.update(ev.done);
      if (ev.done === ev.total) {
        bar.stop();
        embedding = false;
      }
      if (ev.status === 'skipped') ui.verbose(`skipped ${ev.path}: ${ev.error}`);
      else ui.verbose(`${ev.status === 'cached' ? 'cached' : 'embedded'} ${ev.path}: ${ev.faces} face${ev.faces === 1 ? '' : 's'}`);
    },
  });
  return {
    fc,
    dispose() {
      if (started) bar.stop();
      if (reporting) reportBar.stop();
      process.off('SIGINT', onSigint);
      fc.close();
    },
  };
}

/** Prints a clustering call's outcome: the JSON object on stdout, or a summary for people. */
export function printResult(r: ClusteringResult, flags: CommonFlags, ui: Ui): void {
  if (flags.json) {
    writeJson(r, (text) => process.stdout.write(text));
    process.stdout.write('\n');
  } else if (!flags.quiet) {
    const rel = (p: string) => {
      const r = path.relative(process.cwd(), p);
      return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : p;
    };
    const lines = [
      `${count(r.faces.length, 'face')} in ${count(r.images, 'photo')} → ${count(r.clusters, 'cluster')}, ${r.noise} in no_class (${r.method === 'cw' ? 'chinese whispers' : 'dbscan'}: ${Object.entries(r.params).map(([k, v]) => `${k} ${v}`).join(', ')})`,
      ...r.summaries.slice(0, 10).map((c) => `  ${clusterName(c.cluster).padStart(8)}: ${count(c.size, 'face')}`),
      ...(r.summaries.length > 10 ? [`  … ${r.summaries.length - 10} more`] : []),
      `report:  ${rel(r.outputs.report)}`,
      `excel:   ${rel(r.outputs.xlsx)}`,
      ...(r.outputs.saveas ? [`folders: ${rel(r.outputs.saveas)}`] : []),
      `log:     ${rel(r.outputs.log)}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  ui.skipped(r.skipped);
  if (r.noFace.length) ui.info(`${count(r.noFace.length, 'photo')} with no face found (listed in ${r.outputs.log} and the xlsx)`);
  for (const line of r.notices) ui.info(`note: ${line}`);
}

/** Maps what a command threw to a message and an exit code. */
export function failure(err: unknown, ui: Ui): number {
  if (err instanceof AbortError) {
    ui.error(`${err.message}.\nTo resume, run the same command again.`);
    return EXIT.interrupted;
  }
  if (err instanceof CallAbortedError) {
    ui.error(err.message);
    return EXIT.interrupted;
  }
  if (err instanceof UsageError || err instanceof TypeError || err instanceof RangeError || err instanceof OutputError || err instanceof EmbedError) {
    ui.error(err.message);
    return EXIT.usage;
  }
  // anything else is a bug of ours: the stack helps the report
  const e = err as Error;
  ui.error(e?.stack ?? String(err));
  return EXIT.usage;
}
