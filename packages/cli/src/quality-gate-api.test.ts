/** The quality gate through FacialClustering on real crops (../shared/data/bbt-crops): no_class with the reason, in the xlsx and log. */
import fs from 'node:fs';
import path from 'node:path';
import { chineseWhispers } from '@faceclust/cluster';
import { FaceStore } from '@faceclust/embed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FacialClustering } from './facial-clustering.js';
import { faceQuality, keptRows, qualityGate } from './quality-gate.js';
import { dataDir, readXlsx, tempDir } from './test-helpers.js';

const crops = path.join(dataDir, 'bbt-crops');
const hasCrops = fs.existsSync(crops);
if (!hasCrops) console.warn(`quality gate tests: SKIPPING: no face data at ${crops}`);

describe.skipIf(!hasCrops)('quality gate on bbt-crops', () => {
  let dir: string;
  let fc: FacialClustering;
  beforeAll(async () => {
    dir = tempDir();
    fc = new FacialClustering({ pathlist: crops, outPath: path.join(dir, 'out'), preprocess: false, threads: 2 });
    await fc.embed();
  }, 240_000);
  afterAll(() => {
    fc?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends faces below --min-face-quality to no_class with the reason, keeps them out of the graph, and says so in the xlsx and log', async () => {
    const store = FaceStore.open(fc.storePath);
    const set = store.loadFaces('default');
    store.close();
    const qualities = set.faces.map(faceQuality).sort((a, b) => a - b);
    const cut = qualities[Math.floor(qualities.length / 2)];
    const expected = qualityGate(set.faces, { minFaceQuality: cut });
    expect(expected.rejected).toBeGreaterThan(0);
    expect(expected.rejected).toBeLessThan(set.faces.length);

    const r = await fc.chineseWhispers({ threshold: 1.0, minFaceQuality: cut });
    expect(r.gate).toEqual({ minFaceQuality: cut, rejected: expected.rejected });
    const direct = await chineseWhispers(keptRows(set.vectors, set.dim, expected.kept), set.dim, { threshold: 1.0 });
    expect(r.clusters).toBe(direct.clusterCount);
    expect(r.noise).toBe(direct.noiseCount + expected.rejected);
    r.faces.forEach((f, i) => {
      expect(f.rejected).toBe(expected.reasons[i] ?? undefined);
      if (f.rejected) expect(f.cluster).toBe(-1);
    });
    expected.kept.forEach((i, k) => expect(r.faces[i].cluster).toBe(direct.labels[k]));

    const x = await readXlsx(r.outputs.xlsx);
    expect(x.params.get('min face quality')).toBe(cut);
    expect(x.params.get('rejected by quality gate')).toBe(expected.rejected);
    const log = fs.readFileSync(r.outputs.log, 'utf8');
    expect(log).toContain(`quality gate:`);
    expect(log).toContain(`${expected.rejected} of ${set.faces.length} faces rejected`);
  });

  it('every face rejected: all no_class, never dropped; bad thresholds fail before any work', async () => {
    const r = await fc.dbscan({ minFaceSize: 10_000 });
    expect([r.clusters, r.noise, r.faces.length]).toEqual([0, r.faces.length, 40]);
    expect(r.faces.every((f) => f.cluster === -1 && /px < --min-face-size 10000/.test(f.rejected!))).toBe(true);
    await expect(fc.chineseWhispers({ minFaceQuality: 1.5 })).rejects.toThrow(new RangeError('Expected minFaceQuality to be a finite number >= 0 and <= 1 but received 1.5'));
  });
});
