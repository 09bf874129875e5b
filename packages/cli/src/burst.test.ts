/**
 * A person with a burst of near-identical frames among their other photos (scripts/burst-set.mjs, built from
 * ../shared/data/lfw-dev): the person must be one cluster at the defaults, with both methods. Chinese
 * Whispers alone keeps such a tight group apart (its own edges outvote its few edges to the rest); the merge
 * pass joins it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain script module shared with scripts/eval-defaults.mjs, no types
import { makeBurstSet } from '../scripts/burst-set.mjs';
import { FacialClustering } from './facial-clustering.js';
import type { ClusteringResult } from './result.js';
import { dataDir, tempDir } from './test-helpers.js';

const lfw = path.join(dataDir, 'lfw-dev');
const hasLfw = fs.existsSync(path.join(lfw, 'Tiger_Woods'));
const BURSTS = [['Bob_Hope', 'Bob_Hope_0004.jpg'], ['Shimon_Peres', 'Shimon_Peres_0001.jpg'], ['Winona_Ryder', 'Winona_Ryder_0002.jpg']];
const STRANGERS = ['Charlton_Heston', 'Dennis_Hastert', 'Jan_Ullrich'];

describe.skipIf(!hasLfw)('a burst of near-identical frames stays with its person (lfw-dev, real photos)', () => {
  let dir: string;
  let fc: FacialClustering;
  beforeAll(async () => {
    dir = tempDir('faceclust burst ');
    await makeBurstSet(lfw, path.join(dir, 'photos'), BURSTS, STRANGERS);
    fc = new FacialClustering({ pathlist: [path.join(dir, 'photos')], outPath: path.join(dir, 'out'), threads: 2 });
    await fc.embed();
  }, 240_000);
  afterAll(() => {
    fc?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Each photo's main face (nearest the centre: lfw photos are centred on the named person) and its cluster, by person. */
  function byPerson(r: ClusteringResult): Map<string, number[]> {
    const main = new Map<string, { d: number; cluster: number }>();
    for (const f of r.faces) {
      const d = Math.hypot(f.box[0] + f.box[2] / 2 - 125, f.box[1] + f.box[3] / 2 - 125);
      const cur = main.get(f.file);
      if (!cur || d < cur.d) main.set(f.file, { d, cluster: f.cluster });
    }
    const out = new Map<string, number[]>();
    for (const [file, { cluster }] of main) {
      const person = path.basename(path.dirname(file));
      out.set(person, [...(out.get(person) ?? []), cluster]);
    }
    return out;
  }

  function expectWholeAndPure(r: ClusteringResult) {
    const people = byPerson(r);
    for (const [person] of BURSTS) {
      const clusters = people.get(person)!;
      expect(clusters.length, person).toBeGreaterThan(6);
      expect(new Set(clusters), `${person}: ${clusters.join(' ')}`).toEqual(new Set([clusters[0]]));
      expect(clusters[0], person).not.toBe(-1);
    }
    // no cluster holds the main faces of two people
    const owner = new Map<number, string>();
    for (const [person, clusters] of people) {
      for (const c of clusters) {
        if (c === -1) continue;
        expect(owner.get(c) ?? person, `cluster ${c}`).toBe(person);
        owner.set(c, person);
      }
    }
  }

  it('Chinese Whispers at the defaults: each burst person is one cluster, no cluster mixes two people', async () => {
    const r = await fc.chineseWhispers({ recluster: true });
    expect(r.params).toMatchObject({ threshold: 1, mergeRadius: 0.9 });
    expectWholeAndPure(r);
  }, 120_000);

  it('DBSCAN at the defaults: the same', async () => {
    expectWholeAndPure(await fc.dbscan({ recluster: true }));
  }, 120_000);

  it('without the merge pass Chinese Whispers splits some of them (why the pass exists)', async () => {
    const people = byPerson(await fc.chineseWhispers({ mergeRadius: 0, recluster: true }));
    const split = BURSTS.filter(([person]) => new Set(people.get(person)).size > 1).map(([person]) => person);
    expect(split).toEqual(['Bob_Hope', 'Shimon_Peres']);
  }, 120_000);
});
