import { decodeImage } from '../dist/decode.js';
import { loadSessions } from '../dist/models.js';
import { analyzeImage, validateAnalyzeOptions } from '../dist/pipeline.js';
import { detectRaw } from '../dist/detect.js';
import { embedCrop } from '../dist/embedder.js';
const s = await loadSessions();
const f = '/work/shared/data/lfw-dev/George_W_Bush/George_W_Bush_0001.jpg';
const o = validateAnalyzeOptions({});
for (let r = 0; r < 3; r++) {
  let t = performance.now();
  const img = await decodeImage(f);
  const t1 = performance.now();
  const d = await detectRaw(s.detect, img, { minFaceSize: 20, threshold: 0.75, maxDetectSide: 1600, verify: true });
  const t2 = performance.now();
  const faces = await analyzeImage(s, img, o, true);
  const t3 = performance.now();
  const crop = faces[0].crop;
  for (let k = 0; k < 10; k++) await embedCrop(s, crop);
  const t4 = performance.now();
  console.log('decode', (t1 - t).toFixed(1), 'detect', (t2 - t1).toFixed(1), 'full', (t3 - t2).toFixed(1), 'embed', ((t4 - t3) / 10).toFixed(1));
}
