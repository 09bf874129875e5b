/**
 * `faceclust separate`, "different people", on real photos through the real CLI: two lfw-dev people that a
 * looser threshold joins; once separated they are no longer suggested and that threshold keeps them apart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataDir, hasBin, hasData, runCli, scratchDir } from './test-helpers.js';

interface JsonFace { faceId: number; file: string; cluster: number; person: number | null }
interface Person { id: number; faces: { faceId: number; file: string }[] }
interface Pair { a: { id: number }; b: { id: number } }

const lfw = path.join(dataDir, 'lfw-dev');
/** Two people of one cluster each at the default threshold (1.0) whose closest faces are 1.30 apart: CW joins them at 1.4, DBSCAN at eps 1.3. */
const PAIR = ['Al_Gore', 'Amelia_Vega'];
const present = PAIR.every((name) => fs.existsSync(path.join(lfw, name)));
/** Looser clusterings that join the two when nothing keeps them apart. */
const LOOSE = [['cw', '--threshold', '1.5'], ['dbscan', '--eps', '1.4']];

describe.skipIf(!hasData || !hasBin || !present)('separate: "different people" (real CLI, lfw-dev)', () => {
  const scratch = scratchDir();
  const out = path.join(scratch, 'out');
  const cli = async (args: string[], code = 0) => {
    const r = await runCli([...args, '--out', out]);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
    return r;
  };
  const json = async <T>(args: string[]) => JSON.parse((await cli([...args, '--json'])).stdout) as T;
  const pairs = async () => (await json<{ pairs: Pair[] }>(['suggest'])).pairs.map((p) => [p.a.id, p.b.id].sort((x, y) => x - y).join('~'));
  let a = 0;
  let b = 0;

  beforeAll(async () => {
    for (const name of PAIR) {
      const dir = path.join(scratch, 'photos', name);
      fs.mkdirSync(dir, { recursive: true });
      for (const f of fs.readdirSync(path.join(lfw, name)).sort().slice(0, 5)) fs.copyFileSync(path.join(lfw, name, f), path.join(dir, f));
    }
    await cli(['run', path.join(scratch, 'photos'), '--threads', '2']);
    const people = (await json<{ people: Person[] }>(['people'])).people;
    const of = (name: string) => people.filter((p) => p.faces.some((f) => f.file.includes(`/${name}/`))).map((p) => p.id);
    expect([of(PAIR[0]!), of(PAIR[1]!)].map((ids) => ids.length)).toEqual([1, 1]);
    [a, b] = [of(PAIR[0]!)[0]!, of(PAIR[1]!)[0]!];
  }, 300_000);

  it('is no longer suggested, a looser clustering keeps the two apart, undo takes it back', async () => {
    const pair = [a, b].sort((x, y) => x - y).join('~');
    expect(await pairs()).toContain(pair);
    // the looser clusterings join them while nothing keeps them apart …
    for (const method of LOOSE) {
      const faces = (await json<{ faces: JsonFace[] }>(['cluster', ...method])).faces;
      expect(new Set(faces.map((f) => f.cluster)).size, method.join(' ')).toBe(1);
    }
    const c = await json<{ kind: string; args: unknown; summary: string }>(['separate', String(a), String(b)]);
    expect(c.kind).toBe('separate');
    expect(c.args).toEqual({ a, b });
    const [, fa, fb] = new RegExp(`^kept people ${a} and ${b} apart \\(faces (\\d+) and (\\d+) confirmed, 9 cannot links added\\)$`).exec(c.summary) ?? [];
    expect(fa, c.summary).toBeDefined();
    expect(await pairs()).not.toContain(pair);
    // … and keep them apart once separated: each anchor in its own cluster, proposed as its own person, and
    // no face of one in the cluster of the other's anchor (each anchor is cannot-linked to the other's 5 faces)
    for (const method of LOOSE) {
      const faces = (await json<{ faces: JsonFace[] }>(['cluster', ...method])).faces;
      const anchor = (id: string) => faces.find((f) => f.faceId === Number(id))!;
      expect(anchor(fa!).cluster, method.join(' ')).not.toBe(anchor(fb!).cluster);
      expect([anchor(fa!).person, anchor(fb!).person]).toEqual([a, b]);
      const folders = (cluster: number) => new Set(faces.filter((f) => f.cluster === cluster).map((f) => path.basename(path.dirname(f.file))));
      expect([...folders(anchor(fa!).cluster)], method.join(' ')).toEqual([PAIR[0]]);
      expect([...folders(anchor(fb!).cluster)], method.join(' ')).toEqual([PAIR[1]]);
    }
    expect((await json<{ corrections: { kind: string }[] }>(['corrections'])).corrections.map((x) => x.kind)).toEqual(['separate']);
    expect((await cli(['undo'])).stdout).toMatch(new RegExp(`^undid correction \\d+: kept people ${a} and ${b} apart`));
    expect(await pairs()).toContain(pair);
  }, 300_000);

  it('BAD CALL – one person twice, an unknown person, a person that is not a number; nothing changes', async () => {
    const before = (await json<{ corrections: unknown[] }>(['corrections'])).corrections;
    expect((await cli(['separate', String(a), String(a)], 1)).stderr).toContain(`Expected two different people for a and b but received person ${a} twice`);
    expect((await cli(['separate', String(a), '999'], 1)).stderr).toMatch(/No person 999 in .*faces\.sqlite \(faceclust people lists them\)/);
    expect((await cli(['separate', String(a), 'x'], 1)).stderr).toContain('Invalid value for <b>: expected an integer >= 1 but received "x"');
    expect((await json<{ corrections: unknown[] }>(['corrections'])).corrections).toEqual(before);
  }, 120_000);
});
