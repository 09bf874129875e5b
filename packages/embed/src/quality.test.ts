// Quality on real faces, on slices small enough for a 2-core test run; scripts/eval-lfw.mjs measures all of lfw-dev.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { embedImages } from './embed-images.js';
import { type FaceSet, FaceStore } from './store.js';
import { dataDir, hasData, hasDist, lfwPeople } from './test-data.js';

const dist = (v: Float32Array, dim: number, a: number, b: number) => {
  let s = 0;
  for (let k = 0; k < dim; k++) s += (v[a * dim + k] - v[b * dim + k]) ** 2;
  return Math.sqrt(s);
};

/** AUC of "same person is closer": the share of (same, different) pair combinations ordered right. */
function auc(same: number[], diff: number[]): number {
  const d = [...diff].sort((x, y) => x - y);
  let good = 0;
  for (const s of same) {
    let lo = 0, hi = d.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (d[mid] <= s) lo = mid + 1;
      else hi = mid;
    }
    good += d.length - lo;
  }
  return good / (same.length * d.length);
}

/** Pair distances of one face per image (the one nearest the centre of a `size`-square photo), labelled by folder. */
function pairs(set: FaceSet, centre: number) {
  const pick = new Map<string, { i: number; d: number }>();
  set.faces.forEach((f, i) => {
    const d = (f.box[0] + f.box[2] / 2 - centre) ** 2 + (f.box[1] + f.box[3] / 2 - centre) ** 2;
    const p = pick.get(f.file);
    if (!p || d < p.d) pick.set(f.file, { i, d });
  });
  const items = [...pick.entries()].map(([file, { i }]) => ({ i, person: path.basename(path.dirname(file)) }));
  const same: number[] = [], diff: number[] = [];
  const byPerson = new Map<string, { same: number[]; diff: number[] }>();
  for (let x = 0; x < items.length; x++) {
    for (let y = x + 1; y < items.length; y++) {
      const d = dist(set.vectors, set.dim, items[x].i, items[y].i);
      const isSame = items[x].person === items[y].person;
      (isSame ? same : diff).push(d);
      for (const p of [items[x].person, items[y].person]) {
        const e = byPerson.get(p) ?? byPerson.set(p, { same: [], diff: [] }).get(p)!;
        (isSame ? e.same : e.diff).push(d);
      }
    }
  }
  return { images: pick.size, same, diff, byPerson };
}

describe.skipIf(!hasData || !hasDist)('verification quality on real faces', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'faceclust-quality-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lfw-dev slice (120 photos of 40 people): AUC >= 0.995, and each person is closer to themself than to others', async () => {
    const people = lfwPeople(3, 40, 3);
    const files = people.flatMap((p) => p.files);
    const storePath = path.join(dir, 'lfw.sqlite');
    for await (const ev of embedImages(files, { storePath, threads: 2 })) expect(ev.status).toBe('done');
    const store = FaceStore.open(storePath);
    const set = store.loadFaces('default');
    store.close();
    const { images, same, diff, byPerson } = pairs(set, 125);
    expect(images).toBe(files.length); // a face in every photo
    const a = auc(same, diff);
    console.log(`[quality] lfw-dev slice: ${files.length} photos, ${same.length} same / ${diff.length} different pairs, AUC ${a.toFixed(5)}`);
    expect(a).toBeGreaterThanOrEqual(0.995);
    for (const [person, d] of byPerson) {
      const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
      expect(mean(d.same), person).toBeLessThan(mean(d.diff));
    }
    // unit vectors: distances live in [0, 2]; same-person pairs sit well below different-person ones
    expect(Math.max(...same, ...diff)).toBeLessThanOrEqual(2);
  });

  it('bbt-crops with detect: false (ready face crops, grayscale): one face each, AUC >= 0.98', async () => {
    const root = path.join(dataDir, 'bbt-crops');
    const files = readdirSync(root).sort().flatMap((p) => readdirSync(path.join(root, p)).sort().map((f) => path.join(root, p, f)));
    const storePath = path.join(dir, 'bbt.sqlite');
    for await (const ev of embedImages(files, { storePath, threads: 2, detect: false })) expect(ev).toMatchObject({ status: 'done', faces: 1 });
    const store = FaceStore.open(storePath);
    const set = store.loadFaces('default');
    store.close();
    expect(set.faces).toHaveLength(files.length);
    const { same, diff } = pairs(set, 75);
    const a = auc(same, diff);
    console.log(`[quality] bbt-crops (detect: false): ${files.length} crops, AUC ${a.toFixed(4)}`);
    expect(a).toBeGreaterThanOrEqual(0.98);
  });
});
