#!/usr/bin/env node
// Where the time of one photo goes, stage by stage, on one thread (no worker pool, no store): CPU time per
// photo of decode, detection candidates (the detector's passes), the full-resolution region, verification,
// landmarks, alignment, embedding and the PNG crop, for LFW-size photos and for groups/ photos upscaled to
// 12 MP. CPU time (process.cpuUsage) rather than wall time: other jobs on a shared machine disturb it less.
// Needs `pnpm build` first.
//
//   node scripts/stage-timing.mjs [--n 100] [--n12 10]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { alignFace, landmarks68to5 } from '../dist/align.js';
import { decodeImage, encodePng } from '../dist/decode.js';
import { detectCandidates, verifyCandidates } from '../dist/detect.js';
import { embedCrop, sharpness } from '../dist/embedder.js';
import { findImages } from '../dist/find-images.js';
import { predictLandmarks } from '../dist/landmarks.js';
import { denormalFlusher, loadSessions } from '../dist/models.js';
import { DEFAULTS, validateAnalyzeOptions } from '../dist/pipeline.js';
import { boxInView, viewsFor } from '../dist/view.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const here = path.dirname(fileURLToPath(import.meta.url));
const data = path.resolve(here, '../../../../shared/data');
const n = Number(arg('n', 100));
const n12 = Number(arg('n12', 10));
const cpu = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

const flush = await denormalFlusher();
const sessions = await loadSessions(undefined, undefined, flush !== undefined);
flush?.();
let detectorRuns = 0;
for (const session of [sessions.detect, sessions.detectAnySize]) {
  const run = session.run.bind(session);
  session.run = (...a) => {
    detectorRuns++;
    return run(...a);
  };
}
const opts = validateAnalyzeOptions({});

/** The stages of analyzeImage (pipeline.ts), each timed; returns CPU ms per stage. */
async function photo(file, t) {
  let c = cpu();
  const lap = (stage) => {
    const now = cpu();
    t[stage] = (t[stage] ?? 0) + now - c;
    c = now;
  };
  const img = await decodeImage(readFileSync(file), file, opts);
  lap('decode');
  const candidates = await detectCandidates(sessions, img, { minFaceSize: opts.minFaceSize / img.scale, threshold: opts.detectionThreshold, maxDetectSide: opts.maxDetectSide });
  lap('candidates');
  const viewOf = await viewsFor(img, candidates);
  lap('fullResolution');
  const dets = await verifyCandidates(sessions.detect, candidates, viewOf, opts.detectionThreshold);
  lap('verify');
  for (const d of dets) {
    const v = viewOf(d);
    const pts = landmarks68to5(await predictLandmarks(sessions.landmark, v, boxInView(v, d)));
    lap('landmarks');
    const { crop } = alignFace(v.data, v.width, v.height, pts);
    lap('align');
    await embedCrop(sessions, crop);
    sharpness(crop);
    lap('embed');
    await encodePng({ data: crop, width: 112, height: 112 });
    lap('png');
    t.faces = (t.faces ?? 0) + 1;
  }
}

async function measure(label, files) {
  await photo(files[0], {}); // warm-up
  const t = {};
  detectorRuns = 0;
  const c0 = cpu();
  for (const f of files) await photo(f, t);
  const total = (cpu() - c0) / files.length;
  const per = Object.entries(t).filter(([k]) => k !== 'faces').map(([k, v]) => `${k} ${(v / files.length).toFixed(1)}`);
  console.log(`${label}: ${files.length} photos, ${t.faces} faces, ${(detectorRuns / files.length).toFixed(1)} detector runs per photo; CPU ms per photo ${total.toFixed(1)}: ${per.join(', ')}`);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'faceclust-stages-'));
try {
  const { files: lfw } = await findImages([path.join(data, 'lfw-dev')]);
  await measure('lfw-250px', Array.from({ length: Math.min(n, lfw.length) }, (_, i) => lfw[Math.floor((i * lfw.length) / Math.min(n, lfw.length))]));
  const { files: groups } = await findImages([path.join(data, 'groups')]);
  const big = [];
  for (const src of groups.slice(0, n12)) {
    const { info, data: upright } = await sharp(src).rotate().toBuffer({ resolveWithObject: true });
    const out = path.join(tmp, path.basename(src));
    await sharp(upright).resize(Math.round(info.width * Math.sqrt(12e6 / (info.width * info.height)))).jpeg({ quality: 90 }).toFile(out);
    big.push(out);
  }
  await measure('12-megapixel', big);
  console.log(`defaults: maxDetectSide ${DEFAULTS.maxDetectSide}, minFaceSize ${DEFAULTS.minFaceSize}; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
