/**
 * Suggestions: average linkage and the outlier distances against a brute-force double loop (unit), the
 * exclusions on small made-up people, and on real photos through the real CLI: a person split by a low
 * threshold comes first, a cannot link removes the pair, a wrong face tops the outliers, faces in one
 * photo are never paired by default.
 */
import path from 'node:path';
import { FaceStore } from '@faceclust/embed';
import type { Metric } from '@faceclust/cluster';
import { beforeAll, describe, expect, it } from 'vitest';
import { averageLinkage, suggest, suggestFrom, type SuggestInput, type Suggestions } from './suggest.js';
import { dataDir, hasBin, hasData, runCli, scratchDir } from './test-helpers.js';

const METRICS: Metric[] = ['euclidean', 'sqeuclidean', 'cosine', 'manhattan', 'chebyshev'];

/** n unit vectors of `dim` (mulberry32, seeded), around `centres` centres so people are made of near faces. */
function unitVectors(n: number, dim: number, seed: number, centres = 4): Float32Array {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const c = Array.from({ length: centres * dim }, () => rand() * 2 - 1);
  const v = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let k = 0; k < dim; k++) {
      const x = c[(i % centres) * dim + k]! + (rand() * 2 - 1) * 0.8;
      v[i * dim + k] = x;
      norm += x * x;
    }
    for (let k = 0; k < dim; k++) v[i * dim + k] /= Math.sqrt(norm);
  }
  return v;
}

/** The metric's definition, written out plainly, in float64. */
function brute(metric: Metric, v: Float32Array, dim: number, i: number, j: number): number {
  let s = 0;
  let na = 0;
  let nb = 0;
  for (let k = 0; k < dim; k++) {
    const a = v[i * dim + k]!;
    const b = v[j * dim + k]!;
    if (metric === 'euclidean' || metric === 'sqeuclidean') s += (a - b) ** 2;
    else if (metric === 'manhattan') s += Math.abs(a - b);
    else if (metric === 'chebyshev') s = Math.max(s, Math.abs(a - b));
    else { s += a * b; na += a * a; nb += b * b; }
  }
  if (metric === 'euclidean') return Math.sqrt(s);
  if (metric === 'cosine') return 1 - s / Math.sqrt(na * nb);
  return s;
}

function bruteLinkage(metric: Metric, v: Float32Array, dim: number, A: number[], B: number[]): { mean: number; min: number } {
  let sum = 0;
  let min = Infinity;
  for (const a of A) for (const b of B) { const d = brute(metric, v, dim, a, b); sum += d; min = Math.min(min, d); }
  return { mean: sum / (A.length * B.length), min };
}

/** Made-up people over rows 0..n−1: face id = row + 1, one photo per face unless `photos` says otherwise. */
function input(v: Float32Array, dim: number, people: { id: number; rows: number[]; confirmed?: number[]; name?: string }[], extra: Partial<SuggestInput['constraints']> & { photos?: string[] } = {}): SuggestInput {
  const n = v.length / dim;
  return {
    dim,
    vectors: v,
    faces: Array.from({ length: n }, (_, i) => ({ id: i + 1, file: extra.photos?.[i] ?? `/p/${i}.jpg`, faceIndex: 0 })),
    people: people.map((p) => ({ id: p.id, name: p.name ?? null, faceIds: p.rows.map((r) => r + 1), confirmed: (p.confirmed ?? []).map((r) => r + 1) })),
    constraints: { cannotLink: extra.cannotLink ?? new Int32Array(0), notFaces: extra.notFaces ?? new Int32Array(0) },
  };
}

describe('average linkage and distances to the other faces, against a brute-force double loop', () => {
  const dim = 24;
  const v = unitVectors(30, dim, 7);
  const A = [0, 3, 5, 9, 12, 20];
  const B = [1, 2, 7, 11, 25];

  it.each(METRICS)('%s: averageLinkage is the mean and the minimum over every pair', (metric) => {
    const got = averageLinkage(v, dim, A, B, metric);
    const want = bruteLinkage(metric, v, dim, A, B);
    expect(got.distance).toBeCloseTo(want.mean, 12);
    expect(got.closest).toBeCloseTo(want.min, 12);
    expect(got.sampled).toBe(false);
    // subarray views: rows of a view at a byte offset give the same answer
    const buf = new Float32Array(v.length + dim);
    buf.set(v, dim);
    expect(averageLinkage(buf.subarray(dim), dim, A, B, metric).distance).toBeCloseTo(want.mean, 12);
  });

  it.each(METRICS)('%s: suggestFrom reports the exact average linkage (closed form or face by face) and mean distance to the others', async (metric) => {
    const people = [{ id: 1, rows: A }, { id: 2, rows: B }, { id: 3, rows: [4, 6, 8, 10] }, { id: 4, rows: [13, 14] }];
    const s = await suggestFrom(input(v, dim, people), { metric, limit: 100 });
    expect(s.pairs.length).toBe(6);
    for (const p of s.pairs) {
      const want = bruteLinkage(metric, v, dim, people.find((x) => x.id === p.a.id)!.rows, people.find((x) => x.id === p.b.id)!.rows);
      expect(p.distance).toBeCloseTo(want.mean, 10);
      expect(p.closest).toBeCloseTo(want.min, 10);
    }
    expect(s.pairs.map((p) => p.distance)).toEqual([...s.pairs.map((p) => p.distance)].sort((x, y) => x - y));
    expect(s.outliers.length).toBe(A.length + B.length + 4 + 2);
    for (const o of s.outliers) {
      const rows = people.find((x) => x.id === o.person.id)!.rows;
      const others = rows.filter((r) => r !== o.faceId - 1);
      expect(o.distance).toBeCloseTo(others.reduce((t, r) => t + brute(metric, v, dim, o.faceId - 1, r), 0) / others.length, 10);
    }
  });
});

describe('suggestFrom: which pairs and faces are never suggested', () => {
  const dim = 16;
  const v = unitVectors(12, dim, 3, 3); // rows i and j share a centre when i ≡ j (mod 3)
  // person 1 and 2 split one centre (0, 3 | 6, 9); 3 and 4 are other centres
  const people = [{ id: 1, rows: [0, 3] }, { id: 2, rows: [6, 9] }, { id: 3, rows: [1, 4, 7, 10] }, { id: 4, rows: [2, 5, 8, 11] }];
  const pairIds = (s: Suggestions) => s.pairs.map((p) => [p.a.id, p.b.id].sort((x, y) => x - y).join('~'));

  it('the two halves of one person come first; pairs are ordered by distance then ids, the larger person as a', async () => {
    const s = await suggestFrom(input(v, dim, people));
    expect(pairIds(s)[0]).toBe('1~2');
    expect(s.pairs.length).toBe(6);
    const p34 = s.pairs.find((p) => pairIds({ ...s, pairs: [p] })[0] === '3~4')!;
    expect(p34.a.id).toBe(3); // same size: the smaller id first
    expect(s.metric).toBe('euclidean');
  });

  it('a cannot link between a face of each removes the pair, and so do faces in one photo; confirmed faces in both do not', async () => {
    const linked = await suggestFrom(input(v, dim, people, { cannotLink: Int32Array.from([4, 7]) })); // faces 4 (row 3) and 7 (row 6)
    expect(pairIds(linked)).not.toContain('1~2');
    const confirmed = await suggestFrom(input(v, dim, [{ ...people[0]!, confirmed: [0] }, { ...people[1]!, confirmed: [9] }, people[2]!, people[3]!]));
    // clustering keeps two confirmed people apart; only the user can merge them, so they are still suggested
    expect(pairIds(confirmed)).toContain('1~2');
    const photos = Array.from({ length: 12 }, (_, i) => `/p/${i}.jpg`);
    photos[9] = '/p/0.jpg'; // rows 0 (person 1) and 9 (person 2) in one photo
    expect(pairIds(await suggestFrom(input(v, dim, people, { photos })))).not.toContain('1~2');
    expect(pairIds(await suggestFrom(input(v, dim, people, { photos }), { allowSamePhoto: true }))[0]).toBe('1~2');
  });

  it('outliers: a wrong face tops them with rank 1; confirmed faces, people of one face and not-faces are left out', async () => {
    const wrong = [{ id: 1, rows: [0, 3] }, { id: 2, rows: [6, 9] }, { id: 3, rows: [1, 4, 7, 10, 2] }, { id: 4, rows: [5, 8, 11] }];
    const s = await suggestFrom(input(v, dim, wrong));
    expect(s.outliers[0]).toMatchObject({ faceId: 3, person: { id: 3, name: null }, rank: 1, file: '/p/2.jpg', face: 0 });
    const sure = await suggestFrom(input(v, dim, wrong.map((p) => (p.id === 3 ? { ...p, confirmed: [2] } : p))));
    expect(sure.outliers.map((o) => o.faceId)).not.toContain(3);
    const gone = await suggestFrom(input(v, dim, wrong, { notFaces: Int32Array.from([3]) }));
    expect(gone.outliers.map((o) => o.faceId)).not.toContain(3);
    const p3 = gone.pairs.find((p) => p.a.id === 3 || p.b.id === 3)!;
    expect((p3.a.id === 3 ? p3.a : p3.b).faces).toBe(4);
    const single = await suggestFrom(input(v, dim, [{ id: 1, rows: [0] }, { id: 2, rows: [6, 9] }]));
    expect(single.outliers.map((o) => o.person.id)).toEqual([2, 2]);
  });

  it('person and limit narrow the lists', async () => {
    const s = await suggestFrom(input(v, dim, people), { person: 4, limit: 2 });
    expect(s.pairs.length).toBe(2);
    expect(s.pairs.every((p) => p.a.id === 4 || p.b.id === 4)).toBe(true);
    expect(s.outliers.length).toBe(2);
    expect(s.outliers.every((o) => o.person.id === 4)).toBe(true);
  });

  it('BAD CALL – limit, person, metric and allowSamePhoto are checked, naming the option', async () => {
    const data = input(v, dim, people);
    await expect(suggestFrom(data, { limit: 0 })).rejects.toThrow(RangeError);
    await expect(suggestFrom(data, { limit: 0 })).rejects.toThrow(/limit.*received 0/);
    await expect(suggestFrom(data, { limit: 1.5 })).rejects.toThrow(/limit/);
    await expect(suggestFrom(data, { person: 99 })).rejects.toThrow(/person .*99/);
    await expect(suggestFrom(data, { metric: 'hamming' as Metric })).rejects.toThrow(/metric/);
    await expect(suggestFrom(data, { allowSamePhoto: 'yes' as unknown as boolean })).rejects.toThrow(TypeError);
  });
});

interface JsonPerson { id: number; name: string | null; faces: { faceId: number; file: string; face: number }[] }

describe.skipIf(!hasData || !hasBin)('suggest on real photos (real CLI)', () => {
  const people = async (out: string) => JSON.parse((await runCli(['people', '--out', out, '--json'])).stdout).people as JsonPerson[];
  const inFolder = (list: JsonPerson[], folder: string) => list.filter((p) => p.faces.length && p.faces.every((f) => f.file.includes(`/${folder}/`)));

  describe('photos-small, biden split in two by a low threshold', () => {
    let out: string;
    beforeAll(async () => {
      out = path.join(scratchDir(), 'out');
      // --backend ts: the same labels as native, and no dependence on the addon here
      expect((await runCli(['run', path.join(dataDir, 'photos-small'), '--out', out, '--threads', '2', '--backend', 'ts', '-q'])).code).toBe(0);
      // biden's two photos are 0.98 apart: at 0.9 they are two clusters, which adoption makes two people
      expect((await runCli(['cluster', 'cw', '--threshold', '0.9', '--backend', 'ts', '--out', out, '-q'])).code).toBe(0);
      expect((await runCli(['people', 'adopt', '--out', out, '-q'])).code).toBe(0);
    }, 240_000);

    it('ranks the two halves first, in --json and in the table with the command that merges them', async () => {
      const biden = inFolder(await people(out), 'biden');
      expect(biden.length).toBe(2);
      const r = await runCli(['suggest', '--out', out, '--json']);
      expect(r.code).toBe(0);
      const s = JSON.parse(r.stdout) as Suggestions;
      expect(Object.keys(s)).toEqual(['metric', 'pairs', 'outliers']);
      expect(s.metric).toBe('euclidean');
      expect([s.pairs[0]!.a.id, s.pairs[0]!.b.id].sort()).toEqual(biden.map((p) => p.id).sort());
      expect(s.pairs[0]).toMatchObject({ a: { name: null, faces: 1 }, b: { name: null, faces: 1 } });
      expect(s.pairs[0]!.distance).toBeLessThan(1.1);
      expect(s.pairs[1]!.distance - s.pairs[0]!.distance).toBeGreaterThan(0.2);
      expect(Object.keys(s.pairs[0]!)).toEqual(['a', 'b', 'distance', 'closest']);
      expect(Object.keys(s.outliers[0]!)).toEqual(['faceId', 'file', 'face', 'person', 'distance', 'rank']);
      expect(s.outliers[0]!.file).toMatch(/^\//);
      const table = await runCli(['suggest', '--out', out, '--limit', '1']);
      expect(table.code).toBe(0);
      const [a, b] = [s.pairs[0]!.a.id, s.pairs[0]!.b.id];
      expect(table.stdout).toContain(`${a} (unnamed, 1 face) ~ ${b} (unnamed, 1 face): average ${s.pairs[0]!.distance.toFixed(2)}, closest`);
      expect(table.stdout).toMatch(new RegExp(`faceclust merge ${a} ${b} --out `));
      expect(table.stdout).toMatch(/face \d+ \S+#0 in \d+ \(unnamed\): \d\.\d\d/);
      expect(table.stdout).toMatch(/faceclust reject \d+ --from \d+ --out /);
    });

    it('a wrong face put in a person tops the faces far from their person', async () => {
      const list = await people(out);
      const obama = inFolder(list, 'obama')[0]!;
      const alex = inFolder(list, 'alex_lacamoire')[0]!;
      const store = FaceStore.open(path.join(out, 'faces.sqlite'));
      try {
        store.people.assign(Int32Array.from([alex.faces[0]!.faceId]), Int32Array.from([obama.id]));
      } finally {
        store.close();
      }
      const s = await suggest(out);
      expect(s.outliers[0]).toMatchObject({ faceId: alex.faces[0]!.faceId, person: { id: obama.id }, rank: 1 });
      expect(s.outliers[0]!.file.endsWith('alex_lacamoire/img1.jpg')).toBe(true);
      // only obama's
      const only = await suggest(out, { person: obama.id });
      expect(only.outliers.map((o) => o.person.id)).toEqual([obama.id, obama.id, obama.id]);
      expect(only.pairs.every((p) => p.a.id === obama.id || p.b.id === obama.id)).toBe(true);
    });

    it('a rejected face, clustered back with its own half, keeps the two halves apart for good', async () => {
      const [b1, b2] = inFolder(await people(out), 'biden');
      const moved = b2!.faces[0]!.faceId;
      const store = FaceStore.open(path.join(out, 'faces.sqlite'));
      try {
        // a clustering put the face with b1, the user said "not this person", the next one separated it again
        store.people.assign(Int32Array.from([moved]), Int32Array.from([b1!.id]));
        store.people.reject([moved], b1!.id);
        store.people.assign(Int32Array.from([moved]), Int32Array.from([b2!.id]));
      } finally {
        store.close();
      }
      const s = await suggest(out, { limit: 100 });
      expect(s.pairs.some((p) => [p.a.id, p.b.id].sort().join() === [b1!.id, b2!.id].sort().join())).toBe(false);
      expect(s.pairs.length).toBeGreaterThan(0);
    });

    it('BAD CALL – --limit 0, --person 999 and a folder without a store are named', async () => {
      const limit = await runCli(['suggest', '--out', out, '--limit', '0']);
      expect(limit.code).toBe(1);
      expect(limit.stderr).toContain('Invalid value for --limit: expected an integer >= 1 but received "0"');
      const person = await runCli(['suggest', '--out', out, '--person', '999']);
      expect(person.code).toBe(1);
      expect(person.stderr).toMatch(/No person 999 in .*faces\.sqlite/);
      const none = await runCli(['suggest', '--out', path.join(scratchDir(), 'empty')]);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/No embedding store at/);
    });
  });

  it('groups: people with faces in one photo are never paired, unless --allow-same-photo', async () => {
    const out = path.join(scratchDir(), 'groups');
    expect((await runCli(['run', path.join(dataDir, 'groups'), '--out', out, '--threads', '2', '--backend', 'ts', '-q'])).code).toBe(0);
    const photos = new Map((await people(out)).map((p) => [p.id, new Set(p.faces.map((f) => f.file))]));
    const sharePhoto = (a: number, b: number) => [...photos.get(a)!].some((f) => photos.get(b)!.has(f));
    const run = async (...extra: string[]) => JSON.parse((await runCli(['suggest', '--out', out, '--json', '--limit', '30', ...extra])).stdout) as Suggestions;
    const apart = await run();
    expect(apart.pairs.length).toBeGreaterThan(0);
    expect(apart.pairs.filter((p) => sharePhoto(p.a.id, p.b.id))).toEqual([]);
    const allowed = await run('--allow-same-photo');
    expect(allowed.pairs.filter((p) => sharePhoto(p.a.id, p.b.id)).length).toBeGreaterThan(0);
  }, 240_000);
});
