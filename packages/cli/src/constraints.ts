/**
 * What a clustering of an output folder must honour, as pairs of rows of the faces it clusters
 * (@faceclust/cluster's `constraints`, docs/ALGORITHMS.md "Constraints"):
 * - must-link: the confirmed faces of one person (merge, move) are one group;
 * - cannot-link: the user's cannot links (reject, move away); one face of each confirmed person against one
 *   of every other (two confirmed people are two people); and, unless `allowSamePhoto`, every two faces of
 *   one photo (two people standing together never merge) except inside one confirmed person (a mirror the
 *   user confirmed).
 */
import type { StoredConstraints } from '@faceclust/embed';

/** The rows' constraints, flat pairs [a0, b0, a1, b1, …] of row indices, and what they hold, for the log. */
export interface RowConstraints {
  mustLink: Int32Array;
  cannotLink: Int32Array;
  /** Each row's confirmed person, or −1. */
  confirmedPerson: Int32Array;
  counts: { confirmedPeople: number; confirmedFaces: number; cannotLinks: number; samePhotoPairs: number };
}

/**
 * Maps the stored constraints onto `rows` (the faces clustered, in row order; faces not among them are
 * ignored).
 */
export function rowConstraints(rows: readonly { id: number; file: string }[], stored: StoredConstraints, opts: { allowSamePhoto: boolean }): RowConstraints {
  const rowOf = new Map<number, number>();
  rows.forEach((f, i) => rowOf.set(f.id, i));
  const confirmedPerson = new Int32Array(rows.length).fill(-1);
  const groups = new Map<number, number[]>();
  for (let k = 0; k < stored.confirmed.faceIds.length; k++) {
    const row = rowOf.get(stored.confirmed.faceIds[k]!);
    if (row === undefined) continue;
    const person = stored.confirmed.personIds[k]!;
    confirmedPerson[row] = person;
    const group = groups.get(person);
    if (group) group.push(row);
    else groups.set(person, [row]);
  }
  const must: number[] = [];
  for (const group of groups.values()) for (let k = 1; k < group.length; k++) must.push(group[0]!, group[k]!);

  const cannot: number[] = [];
  const sameGroup = (a: number, b: number) => confirmedPerson[a]! >= 0 && confirmedPerson[a] === confirmedPerson[b];
  let cannotLinks = 0;
  for (let k = 0; k < stored.cannotLink.length; k += 2) {
    const a = rowOf.get(stored.cannotLink[k]!);
    const b = rowOf.get(stored.cannotLink[k + 1]!);
    if (a === undefined || b === undefined || sameGroup(a, b)) continue;
    cannot.push(a, b);
    cannotLinks++;
  }
  const firsts = [...groups.values()].map((g) => g[0]!);
  for (let p = 0; p < firsts.length; p++) for (let q = p + 1; q < firsts.length; q++) cannot.push(firsts[p]!, firsts[q]!);
  let samePhotoPairs = 0;
  if (!opts.allowSamePhoto) {
    const byPhoto = new Map<string, number[]>();
    rows.forEach((f, i) => {
      const list = byPhoto.get(f.file);
      if (list) list.push(i);
      else byPhoto.set(f.file, [i]);
    });
    for (const list of byPhoto.values()) {
      for (let p = 0; p < list.length; p++) {
        for (let q = p + 1; q < list.length; q++) {
          if (sameGroup(list[p]!, list[q]!)) continue;
          cannot.push(list[p]!, list[q]!);
          samePhotoPairs++;
        }
      }
    }
  }
  return {
    mustLink: Int32Array.from(must),
    cannotLink: Int32Array.from(cannot),
    confirmedPerson,
    counts: { confirmedPeople: groups.size, confirmedFaces: [...groups.values()].reduce((s, g) => s + g.length, 0), cannotLinks, samePhotoPairs },
  };
}

/** Row constraints narrowed to `subset` (row indices, ascending), renumbered to positions in it. */
export function narrowConstraints(c: Pick<RowConstraints, 'mustLink' | 'cannotLink'>, subset: readonly number[]): { mustLink: Int32Array; cannotLink: Int32Array } {
  const pos = new Map<number, number>();
  subset.forEach((row, i) => pos.set(row, i));
  const narrow = (pairs: Int32Array) => {
    const out: number[] = [];
    for (let k = 0; k < pairs.length; k += 2) {
      const a = pos.get(pairs[k]!);
      const b = pos.get(pairs[k + 1]!);
      if (a !== undefined && b !== undefined) out.push(a, b);
    }
    return Int32Array.from(out);
  };
  return { mustLink: narrow(c.mustLink), cannotLink: narrow(c.cannotLink) };
}
