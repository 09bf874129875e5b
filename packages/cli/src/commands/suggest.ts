/** `faceclust suggest`: pairs of people that may be one, and faces far from their person, to review. */
import path from 'node:path';
import { Command } from 'commander';
import { METRIC_PARAMS } from '@faceclust/cluster';
import { parseMetricFlags } from './cluster-flags.js';
import { DEFAULTS, parseNumberFlag } from '../options.js';
import { count } from '../reports/log.js';
import { suggest, type SuggestedPerson, type Suggestions } from '../suggest.js';
import { EXIT, failure, Ui } from './common.js';

interface SuggestFlags {
  out: string;
  json?: boolean;
  quiet?: boolean;
  limit?: string;
  person?: string;
  metric?: string;
  p?: string;
  metricParams?: string;
  model?: string;
  allowSamePhoto?: boolean;
}

/** `path` relative to the working folder when it lies under it, else as it is. */
function shown(file: string): string {
  const r = path.relative(process.cwd(), file);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : file;
}

function who(p: SuggestedPerson): string {
  return `${p.id} (${p.name ?? 'unnamed'}, ${count(p.faces, 'face')})`;
}

/** The readable table: one line per suggestion, then the commands that act on them. */
export function suggestionLines(s: Suggestions, out: string): string[] {
  const outFlag = out === DEFAULTS.out ? '' : ` --out ${/^[\w./:@+-]+$/.test(out) ? out : JSON.stringify(out)}`;
  const lines = [`people that may be one (average linkage, ${s.metric}): ${s.pairs.length || 'none'}`];
  for (const p of s.pairs) lines.push(`  ${who(p.a)} ~ ${who(p.b)}: average ${p.distance.toFixed(2)}, closest ${p.closest.toFixed(2)}${p.sampled ? ' (sampled)' : ''}`);
  lines.push(`faces far from their person (mean distance to its other faces): ${s.outliers.length || 'none'}`);
  for (const o of s.outliers) lines.push(`  face ${o.faceId} ${shown(o.file)}#${o.face} in ${o.person.id} (${o.person.name ?? 'unnamed'}): ${o.distance.toFixed(2)}${o.sampled ? ' (sampled)' : ''}`);
  const acts: string[] = [];
  const pair = s.pairs[0];
  if (pair) acts.push(`  one person:          faceclust merge ${pair.a.id} ${pair.b.id}${outFlag}`);
  if (pair) acts.push(`  different people:    faceclust separate ${pair.a.id} ${pair.b.id}${outFlag}`);
  const face = s.outliers[0];
  if (face) acts.push(`  not this person:     faceclust reject ${face.faceId} --from ${face.person.id}${outFlag}`);
  if (acts.length) lines.push('to act on them (the first of each shown):', ...acts);
  return lines;
}

export function suggestCommand(): Command {
  return new Command('suggest')
    .description('pairs of people that may be one person (closest by average linkage, never a cannot-linked pair) and faces far from their person, to review')
    .option('-o, --out <dir>', 'output folder', DEFAULTS.out)
    .option('--limit <n>', 'most pairs and most faces listed, each', '20')
    .option('--person <id>', 'only pairs with this person, and only its faces')
    .option('--allow-same-photo', 'also pair people with faces in one photo (by default two faces in one photo are two people)')
    .option('--metric <m>', `${METRIC_PARAMS.metric.doc} (default ${DEFAULTS.metric})`)
    .option('--p <p>', `${METRIC_PARAMS.p.doc} (default ${METRIC_PARAMS.p.default}; inf for Infinity)`)
    .option('--metric-params <file.json>', 'a JSON object with w (minkowski), V (seuclidean) or VI (mahalanobis); default: unweighted, V or VI estimated from the faces')
    .option('--model <name|file.onnx>', "which model's embeddings, as given to `faceclust embed` (default: the store's only one)")
    .option('--json', 'print { "metric", "pairs": [ { "a", "b", "distance", "closest" } ], "outliers": [ { "faceId", "file", "face", "person", "distance", "rank" } ] }')
    .option('-q, --quiet', 'no messages except errors')
    .action(async (flags: SuggestFlags) => {
      const ui = new Ui(flags);
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      process.once('SIGINT', onSigint);
      try {
        const limit = parseNumberFlag('--limit', { min: 1, integer: true })(flags.limit ?? '20');
        const person = flags.person === undefined ? undefined : parseNumberFlag('--person', { min: 1, integer: true })(flags.person);
        const s = await suggest(flags.out, { limit, person, ...parseMetricFlags(flags), model: flags.model, allowSamePhoto: flags.allowSamePhoto === true, signal: controller.signal });
        if (flags.json) process.stdout.write(`${JSON.stringify(s)}\n`);
        else if (!flags.quiet) process.stdout.write(`${suggestionLines(s, flags.out).join('\n')}\n`);
        process.exitCode = EXIT.ok;
      } catch (err) {
        process.exitCode = controller.signal.aborted ? EXIT.interrupted : failure(err, ui);
        if (controller.signal.aborted) ui.error('interrupted');
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
