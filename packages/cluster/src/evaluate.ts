/**
 * External clustering scores against ground-truth identities, computed from contingency counts in
 * O(n log n) (the pairs of labels sorted, then counted), never by enumerating pairs of items.
 */
import { describe } from './validate.js';

/** Precision, recall and their harmonic mean F. */
export interface PrecisionRecall {
  precision: number;
  recall: number;
  f: number;
}

/** What {@link evaluate} returns. */
export interface Evaluation {
  /** Over pairs of items: TP = pairs in the same predicted cluster and the same true class. */
  pairwise: PrecisionRecall;
  /** Per item, averaged over items (Bagga & Baldwin; Amigó et al. 2009). */
  bcubed: PrecisionRecall;
  /** Normalised mutual information, arithmetic-mean normalisation (scikit-learn's default). */
  nmi: number;
  /** Adjusted Rand index, as scikit-learn's `adjusted_rand_score`. */
  ari: number;
  /** Predicted clusters, each noise item counted as a cluster of one. */
  clusters: number;
  /** Distinct true classes (each negative truth label counted as a class of one). */
  trueClusters: number;
}

/** Maps labels to 0..k−1 in order of first appearance; every negative label gets a fresh id (a singleton). */
function compact(labels: Int32Array): { ids: Int32Array; sizes: number[] } {
  const n = labels.length;
  const ids = new Int32Array(n);
  const sizes: number[] = [];
  let max = -1;
  for (let i = 0; i < n; i++) if (labels[i] > max) max = labels[i];
  // Labels are usually small (renumbered): a lookup table then beats a Map by far.
  const table = max < 4 * n + 1024 ? new Int32Array(max + 1).fill(-1) : undefined;
  const map = table ? undefined : new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    let id = l < 0 ? -1 : table ? table[l] : (map!.get(l) ?? -1);
    if (id === -1) {
      id = sizes.length;
      sizes.push(0);
      if (l >= 0) {
        if (table) table[l] = id;
        else map!.set(l, id);
      }
    }
    sizes[id]++;
    ids[i] = id;
  }
  return { ids, sizes };
}

function harmonic(precision: number, recall: number): PrecisionRecall {
  return { precision, recall, f: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
}

/** −Σ p log p of cluster sizes, as scikit-learn's `entropy` (natural log). */
function entropy(sizes: number[], total: number): number {
  if (sizes.length <= 1) return 0;
  const logTotal = Math.log(total);
  let h = 0;
  for (const s of sizes) h -= (s / total) * (Math.log(s) - logTotal);
  return h;
}

/**
 * Scores predicted `labels` against `truth` (same length). Noise (−1, or any negative label) in `labels`
 * counts as clusters of one, each noise item its own cluster; likewise negative `truth` labels.
 *
 * Definitions (n items, n_ij items in predicted cluster i and true class j, a_i and b_j the cluster and
 * class sizes):
 * - pairwise: TP = Σ C(n_ij, 2); precision = TP / Σ C(a_i, 2), recall = TP / Σ C(b_j, 2). When there is
 *   no predicted pair (all singletons) precision is 1; when there is no true pair recall is 1.
 * - BCubed: precision = (1/n) Σ n_ij² / a_i, recall = (1/n) Σ n_ij² / b_j (the per-item scores averaged).
 * - F = 2PR / (P + R), 0 when P + R = 0.
 * - nmi = MI / ((H(labels) + H(truth)) / 2); 1 when both have a single cluster (or n = 0); 0 when MI = 0.
 * - ari = scikit-learn's pair-counting formula; 1 when the two partitions agree on every pair.
 * With n = 0 every score is 1.
 */
export function evaluate(labels: Int32Array, truth: Int32Array): Evaluation {
  if (!(labels instanceof Int32Array)) throw new TypeError(`Expected labels to be an Int32Array but received ${describe(labels)}`);
  if (!(truth instanceof Int32Array)) throw new TypeError(`Expected truth to be an Int32Array but received ${describe(truth)}`);
  if (labels.length !== truth.length) {
    throw new RangeError(`Expected labels and truth to have the same length but received ${labels.length} and ${truth.length}`);
  }
  const n = labels.length;
  const pred = compact(labels);
  const real = compact(truth);
  const k = real.sizes.length;
  // Contingency cells n_ij: sort the pair keys (native typed-array sort), then count runs.
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = pred.ids[i] * k + real.ids[i];
  keys.sort();

  let tp = 0;
  let sumSquares = 0;
  let bcubedPrecision = 0;
  let bcubedRecall = 0;
  let mi = 0;
  const logN = Math.log(n);
  for (let start = 0; start < n; ) {
    const key = keys[start];
    let end = start + 1;
    while (end < n && keys[end] === key) end++;
    const count = end - start;
    start = end;
    const a = pred.sizes[Math.floor(key / k)];
    const b = real.sizes[key % k];
    tp += (count * (count - 1)) / 2;
    sumSquares += count * count;
    bcubedPrecision += (count * count) / a;
    bcubedRecall += (count * count) / b;
    // scikit-learn's mutual_info_score term by term, terms below machine epsilon dropped as it does.
    const p = count / n;
    const term = p * (Math.log(count) - logN) + p * (-Math.log(a * b) + logN + logN);
    if (Math.abs(term) >= Number.EPSILON) mi += term;
  }
  let predPairs = 0;
  let predSquares = 0;
  for (const s of pred.sizes) {
    predPairs += (s * (s - 1)) / 2;
    predSquares += s * s;
  }
  let truePairs = 0;
  let trueSquares = 0;
  for (const s of real.sizes) {
    truePairs += (s * (s - 1)) / 2;
    trueSquares += s * s;
  }

  const pairwise = harmonic(predPairs === 0 ? 1 : tp / predPairs, truePairs === 0 ? 1 : tp / truePairs);
  const bcubed = n === 0 ? harmonic(1, 1) : harmonic(bcubedPrecision / n, bcubedRecall / n);

  let nmi: number;
  if (pred.sizes.length === real.sizes.length && pred.sizes.length <= 1) nmi = 1;
  else {
    if (pred.sizes.length === 1 || real.sizes.length === 1) mi = 0;
    mi = Math.max(mi, 0);
    nmi = mi === 0 ? 0 : mi / ((entropy(real.sizes, n) + entropy(pred.sizes, n)) / 2);
  }

  return { pairwise, bcubed, nmi, ari: adjustedRand(n, sumSquares, predSquares, trueSquares), clusters: pred.sizes.length, trueClusters: k };
}

/** scikit-learn's adjusted_rand_score from its pair confusion matrix (ordered pairs), in exact integers. */
function adjustedRand(n: number, sumSquares: number, predSquares: number, trueSquares: number): number {
  const tp = BigInt(sumSquares - n);
  const fp = BigInt(predSquares - sumSquares);
  const fn = BigInt(trueSquares - sumSquares);
  const tn = BigInt(n) * BigInt(n) - fp - fn - BigInt(sumSquares);
  if (fn === 0n && fp === 0n) return 1;
  const numerator = 2n * (tp * tn - fn * fp);
  const denominator = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn);
  return Number(numerator) / Number(denominator);
}
