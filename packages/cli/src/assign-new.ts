/**
 * New photos joining known people (`faceclust run` on a folder that has people): each new face is given
 * to the person of its nearest known face within the threshold, unless a cannot link forbids it (a
 * rejection, or a face of that person in the same photo); the faces left are clustered among themselves
 * and become new people. Known faces keep their people.
 */
import { nearestNeighbors, type BackendName, type BackendOption, type ClusterResult, type Constraints, type MetricSpace } from '@faceclust/cluster';
import { nearestByDistance } from './metric.js';
import { narrowConstraints } from './constraints.js';

/** How many nearest known faces each new face considers (the nearest ones may all be forbidden). */
export const ASSIGN_CANDIDATES = 64;

export interface AssignInput {
  /** The faces in the call's metric space (`space.rows`, or the rows past the quality gate). */
  vectors: Float32Array;
  dim: number;
  /** The call's metric space: nearest known faces by its kernel metric, or by its float64 pair distance. */
  space: MetricSpace;
  /** Each row's person, or −1 for a new face. */
  personOfRow: Int32Array;
  /** Row pairs that never share a person (rowConstraints). */
  cannotLink: Int32Array;
  mustLink: Int32Array;
  /** The call's threshold (Chinese Whispers) or eps (DBSCAN). */
  radius: number;
  backend: BackendOption;
  signal?: AbortSignal;
  /** Clusters the new faces left over among themselves (the call's own method and parameters). */
  clusterRest: (vectors: Float32Array, constraints: Constraints) => Promise<ClusterResult>;
  /** The first id for a new person. */
  nextPersonId: number;
}

export interface AssignOutcome {
  /** Each row's person afterwards (−1: nobody, e.g. DBSCAN's noise). */
  personOfRow: Int32Array;
  /** New faces given to known people, and new people made from the rest. */
  assigned: number;
  newPeople: number;
  newFaces: number;
  /** Timings of the nearest-neighbour search and of the clustering of the rest. */
  searchMs: number;
  clusterMs: number;
  /** The backend of the search (undefined: no known faces to search). */
  backend?: BackendName;
}

/**
 * Assigns the new rows (personOfRow −1). Greedy and deterministic: new faces are taken by the distance to
 * their nearest known face, closest first (ties: lower row), and each joins the first of its nearest known
 * faces whose person it may join — so two new faces of one photo never join one person.
 */
export async function assignNewFaces(input: AssignInput): Promise<AssignOutcome> {
  const { vectors, dim, space, radius } = input;
  const personOfRow = input.personOfRow.slice();
  const n = personOfRow.length;
  const known: number[] = [];
  const fresh: number[] = [];
  for (let i = 0; i < n; i++) (personOfRow[i]! >= 0 ? known : fresh).push(i);
  const outcome: AssignOutcome = { personOfRow, assigned: 0, newPeople: 0, newFaces: fresh.length, searchMs: 0, clusterMs: 0 };
  if (fresh.length === 0) return outcome;

  const partners = cannotPartners(input.cannotLink, n);
  const searchStart = performance.now();
  if (known.length > 0) {
    const k = Math.min(ASSIGN_CANDIDATES, known.length);
    const near = space.kind === 'kernel'
      ? await nearestNeighbors(rowsOf(vectors, dim, known), rowsOf(vectors, dim, fresh), dim, { metric: space.metric, k, radius, backend: input.backend, signal: input.signal })
      : { ...(await nearestByDistance(space.distance, rowsOf(vectors, dim, known), rowsOf(vectors, dim, fresh), dim, k, radius, input.signal)), backend: 'ts' as const };
    outcome.backend = near.backend;
    const order = fresh.map((_, q) => q).filter((q) => near.offsets[q + 1]! > near.offsets[q]!);
    order.sort((a, b) => near.distances[near.offsets[a]!]! - near.distances[near.offsets[b]!]! || a - b);
    for (const q of order) {
      const row = fresh[q]!;
      for (let e = near.offsets[q]!; e < near.offsets[q + 1]!; e++) {
        const person = personOfRow[known[near.indices[e]!]!]!;
        if (partners[row]?.some((r) => personOfRow[r] === person)) continue;
        personOfRow[row] = person;
        outcome.assigned++;
        break;
      }
    }
  }
  outcome.searchMs = performance.now() - searchStart;

  const rest = fresh.filter((row) => personOfRow[row]! < 0);
  if (rest.length > 0) {
    const clusterStart = performance.now();
    const res = await input.clusterRest(rowsOf(vectors, dim, rest), narrowConstraints(input, rest));
    const idOf = new Map<number, number>();
    let next = input.nextPersonId;
    rest.forEach((row, i) => {
      const label = res.labels[i]!;
      if (label < 0) return;
      if (!idOf.has(label)) idOf.set(label, next++);
      personOfRow[row] = idOf.get(label)!;
    });
    outcome.newPeople = idOf.size;
    outcome.clusterMs = performance.now() - clusterStart;
  }
  return outcome;
}

/** Each row's cannot-link partners (undefined: none). */
function cannotPartners(pairs: Int32Array, n: number): (number[] | undefined)[] {
  const partners: (number[] | undefined)[] = new Array(n);
  for (let k = 0; k < pairs.length; k += 2) {
    const a = pairs[k]!;
    const b = pairs[k + 1]!;
    (partners[a] ??= []).push(b);
    (partners[b] ??= []).push(a);
  }
  return partners;
}

/** The rows `rows` of a row-major matrix, copied into one array. */
function rowsOf(vectors: Float32Array, dim: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((row, i) => out.set(vectors.subarray(row * dim, (row + 1) * dim), i * dim));
  return out;
}
