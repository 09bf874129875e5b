/**
 * People: a call's clusters matched to the folder's people (unit), and on real photos through the real CLI:
 * the first run adopts its call, names survive a later adoption of another method and threshold.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { matchPeople } from './people.js';
import { dataDir, hasBin, hasData, logBlocks, readXlsx, runCli, scratchDir } from './test-helpers.js';

describe('matchPeople: each cluster takes the person it shares most faces with, one to one', () => {
  it('keeps ids by the largest overlap, breaks ties by the smaller person id then cluster, numbers new people after the last', () => {
    const faceIds = Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    // clusters: 0 = faces 1-3, 1 = faces 4-6, 2 = face 7, noise = face 8
    const labels = Int32Array.from([0, 0, 0, 1, 1, 1, 2, -1]);
    // person 10 had 1, 2, 4; person 11 had 3, 5, 6; person 12 had 8 (now noise)
    const personOf = new Map([[1, 10], [2, 10], [4, 10], [3, 11], [5, 11], [6, 11], [8, 12]]);
    const { personOfCluster, created } = matchPeople(faceIds, labels, personOf, 13);
    expect([...personOfCluster.entries()].sort((a, b) => a[0] - b[0])).toEqual([[0, 10], [1, 11], [2, 13]]);
    expect(created).toEqual([13]);
  });

  it('a tie goes to the smaller person id; a person is taken once, so the second cluster gets a new one', () => {
    const faceIds = Int32Array.from([1, 2, 3, 4]);
    const labels = Int32Array.from([0, 0, 1, 1]);
    const personOf = new Map([[1, 7], [2, 5], [3, 5], [4, 7]]);
    // cluster 0 shares 1 face with 5 and 7, cluster 1 too: (cluster 0, person 5) first, then (1, 7)
    expect([...matchPeople(faceIds, labels, personOf, 8).personOfCluster.entries()].sort()).toEqual([[0, 5], [1, 7]]);
    const merged = matchPeople(Int32Array.from([1, 2, 3, 4]), Int32Array.from([0, 0, 0, 1]), new Map([[1, 5], [2, 5], [3, 5], [4, 5]]), 6);
    expect([...merged.personOfCluster.entries()].sort()).toEqual([[0, 5], [1, 6]]);
    expect(merged.created).toEqual([6]);
  });
});

describe.skipIf(!hasData || !hasBin)('people of an output folder (real CLI, photos-small)', () => {
  let out: string;
  beforeAll(async () => {
    out = path.join(scratchDir(), 'out');
    const r = await runCli(['run', path.join(dataDir, 'photos-small'), '--out', out, '--threads', '2']);
    expect(r.code).toBe(0);
  }, 240_000);

  const people = async () => JSON.parse((await runCli(['people', '--out', out, '--json'])).stdout).people as { id: number; name: string | null; faces: { faceId: number; file: string; face: number }[] }[];

  it('the first run adopts its own call: one person per cluster, in one log block', async () => {
    const list = await people();
    expect(list.map((p) => p.faces.length)).toEqual([2, 2, 2, 2, 1]);
    expect(list.every((p) => p.name === null)).toBe(true);
    expect(list[0]!.faces[0]!.file).toMatch(/^\//);
    expect(logBlocks(out)).toBe(1);
  });

  it('names survive a later call with another method and threshold, adopted', async () => {
    const list = await people();
    const obama = list.find((p) => p.faces.some((f) => f.file.endsWith('obama/obama.jpg')))!;
    expect((await runCli(['name', String(obama.id), 'Barack Obama', '--out', out])).code).toBe(0);
    expect((await runCli(['cluster', 'dbscan', '--out', out, '--eps', '0.9'])).code).toBe(0);
    const adopt = await runCli(['people', 'adopt', '--out', out, '--json']);
    expect(adopt.code).toBe(0);
    // dbscan at eps 0.9 keeps three of the four pairs (one pair is 0.9+ apart) and leaves three faces in no_class
    expect(JSON.parse(adopt.stdout)).toMatchObject({ call: 2, kept: 3, created: 0, faces: 6 });
    const after = await people();
    const named = after.find((p) => p.name === 'Barack Obama')!;
    expect(named.id).toBe(obama.id);
    expect(named.faces.map((f) => f.file).sort()).toEqual(obama.faces.map((f) => f.file).sort());
    // faces in no_class belong to nobody now; people left without faces are kept until removed
    expect(after.reduce((s, p) => s + p.faces.length, 0)).toBe(6);
    expect(after.length).toBe(5);
    expect(after.filter((p) => p.faces.length === 0).length).toBe(2);
  });

  it('every later call shows each cluster\'s person (a proposal, not adopted): --json, xlsx and the report page', async () => {
    const before = await people();
    const named = before.find((p) => p.name === 'Barack Obama')!;
    const r = await runCli(['cluster', 'cw', '--out', out, '--threshold', '0.95', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { call: number; faces: { file: string; cluster: number; person: number | null; name: string | null }[] };
    const obama = json.faces.filter((f) => f.file.endsWith('obama/obama.jpg') || f.file.endsWith('obama/obama2.jpg'));
    expect(obama.map((f) => [f.person, f.name])).toEqual([[named.id, 'Barack Obama'], [named.id, 'Barack Obama']]);
    // one person per cluster, each person at most once
    const byCluster = new Map(json.faces.filter((f) => f.cluster >= 0).map((f) => [f.cluster, f.person]));
    const persons = [...byCluster.values()].filter((p) => p !== null);
    expect(new Set(persons).size).toBe(persons.length);
    const x = await readXlsx(path.join(out, fs.readdirSync(out).find((f) => f.startsWith(`clusters-${String(json.call).padStart(3, '0')}-`))!));
    expect(x.faceRows.filter((row) => String(row.file).endsWith('obama/obama.jpg')).map((row) => [row.person, row.name])).toEqual([[named.id, 'Barack Obama']]);
    const page = fs.readFileSync(path.join(out, fs.readdirSync(out).find((f) => f.startsWith(`report-${String(json.call).padStart(3, '0')}-`))!, 'report.html'), 'utf8');
    expect(page).toContain(`— person ${named.id}: Barack Obama`);
    // a call only proposes: the people are as they were
    expect(await people()).toEqual(before);
  });

  it('BAD CALL – an unknown person or call is named', async () => {
    const r = await runCli(['name', '999', 'Nobody', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No person 999 in .*faces\.sqlite/);
    const a = await runCli(['people', 'adopt', '--call', '77', '--out', out]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/Call 77 in .* kept no labels .*: choose one of 1, 2, 3/);
  });
});
