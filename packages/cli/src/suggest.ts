/**
 * Suggestions to review: pairs of people that may be one person, and faces that sit far from their person.
 * Read-only (like `cluster` and `tune`, it runs beside a writer); the user acts on them with merge / reject.
 */
import { openStore } from './people.js';
import { describe, type Metric, type MetricParams, type PairDistance } from '@faceclust/cluster';
import { facesSpace, metricChoice, type MetricChoice, type MetricName } from './metric.js';
import type { FaceInfo, PersonRow, StoredConstraints } from '@faceclust/embed';
import { DEFAULTS, expectNumber, UsageError } from './options.js';

/** Options of {@link suggest}. */
export interface SuggestOptions {
  /**
   * Distance between faces (default: the CLI's, euclidean): any metric a clustering call takes, with its
   * `metricParams`; the faces are put in its space once (metric.ts), so a transformed metric (seuclidean,
   * mahalanobis, correlation) runs as its kernel metric on transformed rows and a pair-pass one (minkowski
   * p=3, braycurtis, canberra) face by face in float64.
   */
  metric?: MetricName;
  metricParams?: MetricParams;
  /** Most pairs and most faces listed, each (default 20). */
  limit?: number;
  /** Only pairs with this person, and only this person's faces. */
  person?: number;
  /**
   * Also pair people who have faces in one photo (default false: two faces in one photo are two people,
   * so such a pair is never suggested).
   */
  allowSamePhoto?: boolean;
  /** Which model's embeddings: 'default', an .onnx path or a model id (default: the store's only model, else 'default'). */
  model?: string;
  /** Stops the work between blocks (rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** A person as a suggestion shows it: `faces` counts the faces compared (not-a-face marks left out). */
export interface SuggestedPerson {
  id: number;
  name: string | null;
  faces: number;
}

/** Two people that may be one. */
export interface SuggestedPair {
  /** The larger of the two (ties: the smaller id), so `merge a b` keeps the larger one. */
  a: SuggestedPerson;
  b: SuggestedPerson;
  /** Average linkage: the mean distance over every pair (face of a, face of b). */
  distance: number;
  /** The smallest distance between a face of a and a face of b. */
  closest: number;
  /** Present when the two people have so many faces that `closest` (and, for euclidean, manhattan and chebyshev, `distance`) came from an evenly spaced sample of them. */
  sampled?: true;
}

/** A face far from its person. */
export interface SuggestedOutlier {
  faceId: number;
  /** Absolute path of the photo. */
  file: string;
  /** Face index in the photo (0-based, as the xlsx and --json show it). */
  face: number;
  person: { id: number; name: string | null };
  /** Mean distance to the person's other faces. */
  distance: number;
  /** 1 for the face farthest from its person among the person's unconfirmed faces, 2 for the next, … */
  rank: number;
  /** Present when the person has more than {@link EXACT_PERSON_FACES} faces and `distance` is the mean over an evenly spaced sample of the others. */
  sampled?: true;
}

export interface Suggestions {
  metric: MetricName;
  /** Closest first (ties: the smaller ids). */
  pairs: SuggestedPair[];
  /** Farthest first (ties: the smaller face id). */
  outliers: SuggestedOutlier[];
}

/** Persons up to this size get exact outlier distances (O(size²)); above it each face is compared with a sample. */
export const EXACT_PERSON_FACES = 3000;
/** Faces sampled from a larger person for each outlier distance. */
const OUTLIER_SAMPLE = 1000;
/** Face pairs compared per pair of people at most; beyond it, an evenly spaced sample of each person's faces. */
const MAX_FACE_PAIRS = 1 << 22;
/** Pairs of people evaluated face by face for every listed pair (euclidean, manhattan, chebyshev). */
const CANDIDATES_PER_PAIR = 10;

/** How faces are compared: a kernel metric on the space's rows, or a pair-pass metric's float64 distance. */
type Measure = Metric | PairDistance;

/** The metrics whose average linkage is a closed form of per-person sums (see {@link suggest}). */
function closedForm(metric: Measure): boolean {
  return metric === 'cosine' || metric === 'sqeuclidean';
}

/** The float64 `metric` distance of rows at offsets `a` and `b` (cosine: `norms` of the rows i, j). */
function rowDistance(metric: Measure, v: Float32Array, a: number, b: number, dim: number, normA: number, normB: number): number {
  if (typeof metric === 'function') return metric(v, a, v, b, dim, Infinity);
  let s = 0;
  switch (metric) {
    case 'euclidean':
    case 'sqeuclidean':
      for (let k = 0; k < dim; k++) { const d = v[a + k] - v[b + k]; s += d * d; }
      return metric === 'euclidean' ? Math.sqrt(s) : s;
    case 'manhattan':
      for (let k = 0; k < dim; k++) s += Math.abs(v[a + k] - v[b + k]);
      return s;
    case 'chebyshev':
      for (let k = 0; k < dim; k++) { const d = Math.abs(v[a + k] - v[b + k]); if (d > s) s = d; }
      return s;
    case 'cosine':
      for (let k = 0; k < dim; k++) s += v[a + k] * v[b + k];
      return normA === 0 || normB === 0 ? 1 : 1 - s / (normA * normB);
  }
}

function rowNorm(v: Float32Array, a: number, dim: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) s += v[a + k] * v[a + k];
  return Math.sqrt(s);
}

/** At most `max` of `rows`, evenly spaced (deterministic); all of them when there are no more. */
function evenlySpaced(rows: ArrayLike<number>, max: number): number[] {
  const n = rows.length;
  if (n <= max) return Array.from(rows);
  return Array.from({ length: max }, (_, i) => rows[Math.floor((i * n) / max)]!);
}

/** A cooperative pause: lets the event loop run about every 50 ms of work and honours `signal`. */
function ticker(signal?: AbortSignal): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < 50) return;
    await new Promise((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
    last = performance.now();
  };
}

/**
 * Average and single linkage of two sets of rows of `vectors` (row-major, `dim` wide), face by face: the
 * mean and the smallest `metric` distance over every pair (a in rowsA, b in rowsB), in float64. When there
 * are more than 2²² pairs, an evenly spaced sample of each side is compared instead (`sampled`).
 */
export function averageLinkage(vectors: Float32Array, dim: number, rowsA: ArrayLike<number>, rowsB: ArrayLike<number>, metric: Measure): { distance: number; closest: number; sampled: boolean } {
  if (rowsA.length === 0 || rowsB.length === 0) throw new RangeError(`Expected two non-empty sets of rows but received ${rowsA.length} and ${rowsB.length} rows`);
  let A = Array.from(rowsA);
  let B = Array.from(rowsB);
  const sampled = A.length * B.length > MAX_FACE_PAIRS;
  if (sampled) {
    // shrink the larger side first, so a small person keeps all its faces
    const side = Math.floor(Math.sqrt(MAX_FACE_PAIRS));
    const [small, large] = A.length <= B.length ? [A, B] : [B, A];
    const keepSmall = evenlySpaced(small, Math.max(side, Math.floor(MAX_FACE_PAIRS / large.length)));
    const keepLarge = evenlySpaced(large, Math.floor(MAX_FACE_PAIRS / keepSmall.length));
    [A, B] = A.length <= B.length ? [keepSmall, keepLarge] : [keepLarge, keepSmall];
  }
  const cos = metric === 'cosine';
  const normsB = B.map((b) => (cos ? rowNorm(vectors, b * dim, dim) : 0));
  let sum = 0;
  let min = Infinity;
  // blocks of 64 rows of B (128 KB at dim 512) stay in cache while every row of A passes over them
  for (let j0 = 0; j0 < B.length; j0 += 64) {
    const j1 = Math.min(B.length, j0 + 64);
    for (const a of A) {
      const oa = a * dim;
      const na = cos ? rowNorm(vectors, oa, dim) : 0;
      for (let j = j0; j < j1; j++) {
        const d = rowDistance(metric, vectors, oa, B[j]! * dim, dim, na, normsB[j]!);
        sum += d;
        if (d < min) min = d;
      }
    }
  }
  return { distance: sum / (A.length * B.length), closest: min, sampled };
}

/**
 * Per-person sums for the closed forms: `mean` is the mean row (cosine: the mean of the rows scaled to unit
 * length, a zero row staying zero), `meanSq` the mean of |row|².
 */
interface PersonSums {
  mean: Float64Array;
  meanSq: number;
}

function personSums(vectors: Float32Array, dim: number, rows: number[], metric: Measure): PersonSums {
  const mean = new Float64Array(dim);
  let sq = 0;
  for (const r of rows) {
    const o = r * dim;
    const norm = metric === 'cosine' ? rowNorm(vectors, o, dim) : 1;
    const scale = norm === 0 ? 0 : 1 / norm;
    for (let k = 0; k < dim; k++) {
      const x = vectors[o + k] * scale;
      mean[k] += x;
      sq += x * x;
    }
  }
  for (let k = 0; k < dim; k++) mean[k] /= rows.length;
  return { mean, meanSq: sq / rows.length };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
}

/**
 * The mean over every pair (a in A, b in B) of a·b is (mean of A)·(mean of B), exactly. Hence, from
 * {@link personSums}: cosine average linkage = 1 − mA·mB (unit-scaled rows; a zero row gives 1, as the
 * metric does), and the mean squared euclidean distance = meanSqA + meanSqB − 2 mA·mB, which is the
 * sqeuclidean average linkage and the candidate key of the other metrics.
 */
function meanKey(metric: Measure, a: PersonSums, b: PersonSums): number {
  const d = dot(a.mean, b.mean);
  return metric === 'cosine' ? 1 - d : a.meanSq + b.meanSq - 2 * d;
}

/** A person's faces as the suggestions compare them. */
interface Member {
  id: number;
  name: string | null;
  /** Rows of the loaded faces, in face id order. */
  rows: number[];
  confirmed: Set<number>;
}

/**
 * Mean distance of each of `person`'s faces to its other faces, for the faces `wanted` (by position in
 * rows). cosine and sqeuclidean: the closed form of {@link meanKey} with the face itself taken out; the
 * others face by face, O(size²), or against an evenly spaced sample of {@link OUTLIER_SAMPLE} others above
 * {@link EXACT_PERSON_FACES} faces.
 */
async function meanToOthers(vectors: Float32Array, dim: number, rows: number[], wanted: number[], metric: Measure, tick: () => Promise<void>): Promise<{ distances: Map<number, number>; sampled: boolean }> {
  const n = rows.length;
  const distances = new Map<number, number>();
  if (closedForm(metric)) {
    const { mean, meanSq } = personSums(vectors, dim, rows, metric);
    for (const i of wanted) {
      const o = rows[i]! * dim;
      const norm = rowNorm(vectors, o, dim);
      const scale = metric === 'cosine' ? (norm === 0 ? 0 : 1 / norm) : 1;
      let ds = 0;
      for (let k = 0; k < dim; k++) ds += vectors[o + k] * scale * mean[k]!;
      const self = (norm * scale) ** 2; // |x|² of the (scaled) row
      // Σ over all b of the pair value, minus the face with itself (distance 0; cosine: 1 − |x̂|²)
      const total = metric === 'cosine' ? n - n * ds - (1 - self) : n * self + n * meanSq - 2 * n * ds;
      distances.set(i, total / (n - 1));
    }
    return { distances, sampled: false };
  }
  // euclidean, manhattan, chebyshev: no norms needed
  if (n <= EXACT_PERSON_FACES) {
    const totals = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const oa = rows[i]! * dim;
      for (let j = i + 1; j < n; j++) {
        const d = rowDistance(metric, vectors, oa, rows[j]! * dim, dim, 0, 0);
        totals[i] += d;
        totals[j] += d;
      }
      await tick();
    }
    for (const i of wanted) distances.set(i, totals[i]! / (n - 1));
    return { distances, sampled: false };
  }
  const sample = evenlySpaced(Array.from({ length: n }, (_, i) => i), OUTLIER_SAMPLE + 1);
  for (const i of wanted) {
    const others = sample.filter((j) => j !== i).slice(0, OUTLIER_SAMPLE);
    let total = 0;
    for (const j of others) total += rowDistance(metric, vectors, rows[i]! * dim, rows[j]! * dim, dim, 0, 0);
    distances.set(i, total / others.length);
    await tick();
  }
  return { distances, sampled: true };
}

/**
 * Suggestions to review in output folder `out`: pairs of people that may be one person, and faces far from
 * their person, `limit` of each.
 *
 * Faces: every face of a person, but not those marked not a face nor those whose photo the store no longer
 * holds for the model.
 *
 * Pairs. Never suggested: two people joined by a cannot link (a face of one and a face of the other) and,
 * unless `allowSamePhoto`, two people with faces in one photo. Two people who both have confirmed faces are
 * suggested (clustering keeps them apart; only the user can merge them, so they are worth a look). The rest are ranked by average linkage (the mean
 * distance over every pair of their faces), closest first, ties by the smaller then the larger id, without
 * any matrix over faces:
 * 1. For every allowed pair of people a key comes from per-person sums in O(dim), using that the mean of
 *    a·b over every pair is the dot product of the two means: for cosine the key is the average linkage
 *    itself (1 − mean(â)·mean(b̂), â the row scaled to unit length), for sqeuclidean too (mean|a|² +
 *    mean|b|² − 2 mean(a)·mean(b)); for euclidean, manhattan and chebyshev the key is that mean squared
 *    euclidean distance, which ranks pairs nearly as their average linkage does. O(people² · dim).
 * 2. cosine and sqeuclidean: the `limit` smallest keys are the answer; their `closest` is computed face by
 *    face. Other metrics: the 10·`limit` smallest keys are candidates, each evaluated face by face
 *    ({@link averageLinkage}, O(|A|·|B|·dim)), and the `limit` best kept; a pair outside the candidates
 *    would need a far larger spread of faces than its key shows.
 * Two people with more than 2²² face pairs between them are compared on an evenly spaced sample (`sampled`).
 *
 * Outliers: every unconfirmed face (the user vouched for the confirmed ones) of a person of two or more
 * faces, ranked by its mean distance to the person's other faces, farthest first (ties: the smaller face
 * id). The raw distance, not a z-score within the person: it compares across people and with the metric's
 * threshold, and a z-score means little in a person of three faces. cosine and sqeuclidean: exact, from
 * the person's sums; the others face by face, or, in a person of more than {@link EXACT_PERSON_FACES}
 * faces, against an evenly spaced sample of 1,000 of the others (`sampled`).
 *
 * @throws UsageError when there is no store or no person `person`; TypeError/RangeError for bad options.
 */
export async function suggest(out: string, opts: SuggestOptions = {}): Promise<Suggestions> {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`Expected an options object but received ${describe(opts)}`);
  if (opts.model !== undefined && (typeof opts.model !== 'string' || opts.model === '')) throw new TypeError(`Expected model to be a model name, .onnx path or id but received ${describe(opts.model)}`);
  checkOptions(opts); // before opening the store
  const { store } = openStore(out);
  try {
    const people = store.people.list();
    if (opts.person !== undefined && !people.some((p) => p.id === opts.person)) throw new UsageError(`No person ${opts.person} in ${store.path} (faceclust people lists them)`);
    const models = store.listModels();
    const faceSet = store.loadFaces(opts.model ?? (models.length === 1 ? models[0]!.id : 'default'));
    const constraints = store.people.constraints();
    return await suggestFrom({ ...faceSet, people, constraints }, opts);
  } finally {
    store.close();
  }
}

/** What {@link suggestFrom} reads: the faces of one model, the people and the corrections, as the store gives them. */
export interface SuggestInput {
  dim: number;
  /** Row-major faces.length × dim. */
  vectors: Float32Array;
  faces: Pick<FaceInfo, 'id' | 'file' | 'faceIndex'>[];
  people: Pick<PersonRow, 'id' | 'name' | 'faceIds' | 'confirmed'>[];
  constraints: Pick<StoredConstraints, 'cannotLink' | 'notFaces'>;
}

function checkOptions(opts: SuggestOptions): { choice: MetricChoice; limit: number; only?: number } {
  const choice = metricChoice({ metric: opts.metric ?? DEFAULTS.metric, metricParams: opts.metricParams });
  const limit = opts.limit === undefined ? 20 : expectNumber('limit', opts.limit, { min: 1, integer: true });
  const only = opts.person === undefined ? undefined : expectNumber('person', opts.person, { min: 1, integer: true });
  if (opts.allowSamePhoto !== undefined && typeof opts.allowSamePhoto !== 'boolean') throw new TypeError(`Expected allowSamePhoto to be a boolean but received ${describe(opts.allowSamePhoto)}`);
  return { choice, limit, only };
}

/** {@link suggest} on data already read (the store's, or a test's): the same method, the same result. */
export async function suggestFrom(input: SuggestInput, opts: Omit<SuggestOptions, 'model'> = {}): Promise<Suggestions> {
  const { choice, limit, only } = checkOptions(opts);
  const tick = ticker(opts.signal);
  opts.signal?.throwIfAborted();
  const { dim, faces, people, constraints } = input;
  const space = facesSpace(input.vectors, dim, choice);
  const vectors = space.rows;
  const metric: Measure = space.kind === 'kernel' ? space.metric : space.distance;
  if (only !== undefined && !people.some((p) => p.id === only)) throw new RangeError(`Expected person to be one of the people but received ${only}`);
  const notFaces = new Set(constraints.notFaces);
  const rowOf = new Map(faces.map((f, i) => [f.id, i]));

  // every person with a face to compare, in id order; person of each face (not-a-face marks left out)
  const members: Member[] = [];
  const personOf = new Map<number, number>();
  for (const p of [...people].sort((x, y) => x.id - y.id)) {
    const kept = p.faceIds.filter((f) => !notFaces.has(f));
    for (const f of kept) personOf.set(f, p.id);
    const rows = kept.map((f) => rowOf.get(f)).filter((r): r is number => r !== undefined);
    if (rows.length) members.push({ id: p.id, name: p.name, rows, confirmed: new Set(p.confirmed) });
  }
  const index = new Map(members.map((m, i) => [m.id, i]));
  const P = members.length;

  // pairs never suggested, by member index i < j
  const excluded = new Set<number>();
  const exclude = (pa: number | undefined, pb: number | undefined) => {
    if (pa === undefined || pb === undefined || pa === pb) return;
    const i = index.get(pa);
    const j = index.get(pb);
    if (i === undefined || j === undefined) return;
    excluded.add(Math.min(i, j) * P + Math.max(i, j));
  };
  const cl = constraints.cannotLink;
  for (let k = 0; k + 1 < cl.length; k += 2) exclude(personOf.get(cl[k]!), personOf.get(cl[k + 1]!));
  if (!opts.allowSamePhoto) {
    const inPhoto = new Map<string, Set<number>>();
    for (const m of members) {
      for (const r of m.rows) {
        const set = inPhoto.get(faces[r]!.file) ?? new Set<number>();
        set.add(m.id);
        inPhoto.set(faces[r]!.file, set);
      }
    }
    for (const set of inPhoto.values()) {
      const ids = [...set];
      for (let x = 0; x < ids.length; x++) for (let y = x + 1; y < ids.length; y++) exclude(ids[x], ids[y]);
    }
  }
  const allowed = (i: number, j: number) => !excluded.has(Math.min(i, j) * P + Math.max(i, j));

  // 1. keys of every allowed pair, keeping the `want` smallest (ties: member order, which is id order)
  const sums = members.map((m) => personSums(vectors, dim, m.rows, metric));
  const want = closedForm(metric) ? limit : CANDIDATES_PER_PAIR * limit;
  let cands: { i: number; j: number; key: number }[] = [];
  let cutoff = Infinity;
  const byKey = (x: { i: number; j: number; key: number }, y: { i: number; j: number; key: number }) => x.key - y.key || x.i - y.i || x.j - y.j;
  const trim = () => {
    cands.sort(byKey);
    cands.length = Math.min(cands.length, want);
    if (cands.length === want) cutoff = cands[want - 1]!.key;
  };
  const onlyIndex = only === undefined ? undefined : index.get(only);
  for (let i = 0; i < P; i++) {
    if (only !== undefined && i !== onlyIndex) continue;
    for (let j = only === undefined ? i + 1 : 0; j < P; j++) {
      if (j === i) continue;
      const key = meanKey(metric, sums[i]!, sums[j]!);
      if (key > cutoff || !allowed(i, j)) continue;
      cands.push(i < j ? { i, j, key } : { i: j, j: i, key });
      if (cands.length >= 4 * want) trim();
    }
    await tick();
  }
  trim();

  // 2. the candidates face by face
  const pairs: SuggestedPair[] = [];
  for (const c of cands) {
    const A = members[c.i]!;
    const B = members[c.j]!;
    const exact = averageLinkage(vectors, dim, A.rows, B.rows, metric);
    const [a, b] = B.rows.length > A.rows.length ? [B, A] : [A, B];
    pairs.push({
      a: { id: a.id, name: a.name, faces: a.rows.length },
      b: { id: b.id, name: b.name, faces: b.rows.length },
      distance: closedForm(metric) ? c.key : exact.distance,
      closest: exact.closest,
      ...(exact.sampled ? { sampled: true as const } : {}),
    });
    await tick();
  }
  const lo = (p: SuggestedPair) => Math.min(p.a.id, p.b.id);
  const hi = (p: SuggestedPair) => Math.max(p.a.id, p.b.id);
  pairs.sort((x, y) => x.distance - y.distance || lo(x) - lo(y) || hi(x) - hi(y));
  pairs.length = Math.min(pairs.length, limit);

  // outliers: each unconfirmed face of a person of two or more faces
  const outliers: SuggestedOutlier[] = [];
  for (const m of members) {
    if (only !== undefined && m.id !== only) continue;
    if (m.rows.length < 2) continue;
    const wanted = m.rows.map((r, i) => (m.confirmed.has(faces[r]!.id) ? -1 : i)).filter((i) => i >= 0);
    if (wanted.length === 0) continue;
    const { distances, sampled } = await meanToOthers(vectors, dim, m.rows, wanted, metric, tick);
    const ranked = wanted.map((i) => ({ i, d: distances.get(i)!, id: faces[m.rows[i]!]!.id })).sort((x, y) => y.d - x.d || x.id - y.id);
    ranked.forEach(({ i, d }, k) => {
      const f = faces[m.rows[i]!]!;
      outliers.push({ faceId: f.id, file: f.file, face: f.faceIndex, person: { id: m.id, name: m.name }, distance: d, rank: k + 1, ...(sampled ? { sampled: true as const } : {}) });
    });
  }
  outliers.sort((x, y) => y.distance - x.distance || x.faceId - y.faceId);
  outliers.length = Math.min(outliers.length, limit);
  return { metric: choice.metric, pairs, outliers };
}
