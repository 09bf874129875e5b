/**
 * A threshold suggested by the data alone: the valley between the two modes of the faces' k-distances.
 *
 * Why it works: in a pile of photos most people appear a few times and many once. A face whose person
 * has at least k−1 other photos finds them close by (the same-person mode of its k-distance); a face whose
 * person has fewer can only reach strangers (the different-person mode, much farther). Joining faces up to
 * the emptiest distance between the two modes keeps the first group together and the second apart.
 */
import { describe, expectInteger, expectOneOf, expectOptions, orDefault } from './validate.js';

/** Options of {@link suggestThreshold}. */
export interface SuggestOptions {
  /**
   * `'cw'` (default): the valley itself. `'dbscan'`: the 95th percentile of the values below the valley,
   * because DBSCAN chains (one stranger within eps of any core face merges two people) where Chinese
   * Whispers outvotes a stray edge.
   */
  method?: 'cw' | 'dbscan';
  /** Histogram bins between the two modes, an integer between 16 and 4096; default 256. */
  bins?: number;
}

/** What {@link suggestThreshold} returns. */
export interface ThresholdSuggestion {
  /** The suggested threshold (cw) or eps (dbscan); NaN when the values do not split into two groups. */
  threshold: number;
  /** The density minimum between the two modes (the cw suggestion). */
  valley: number;
  /** Otsu's split of the values into a low and a high group: where the valley is searched around. */
  split: number;
  /** Medians of the low (same-person) and high (different-person) groups. */
  lowMode: number;
  highMode: number;
  /** Values <= threshold and > threshold (infinite values count as above). */
  below: number;
  above: number;
  /**
   * How clearly the values fall into two groups: Otsu's between-class variance over the total variance,
   * in [0, 1]. Above ~0.6 the valley is clear; below, the data hardly has two modes (for instance every
   * person has many photos, or none has two) and the suggestion is a guess.
   */
  separation: number;
  /** The smoothed density at the valley over the smaller of the two mode peaks (lower is clearer). */
  valleyDepth: number;
  /**
   * Whether there is a real valley: a density minimum strictly inside the search range (not within 2% of
   * either median) at most half as dense as the lower peak. False when the values have one mode, e.g.
   * every person photographed many times (no face needs a stranger) or nobody twice.
   */
  clear: boolean;
  /** Kernel bandwidth used to smooth the histogram. */
  bandwidth: number;
}

/**
 * Suggests a clustering threshold without labels, from each face's k-distance ({@link kDistances} or
 * {@link kDistancesOnGraph}): k = 2 (the nearest other face) for Chinese Whispers, k = `minSamples` for
 * DBSCAN. The rule, in full:
 *
 * 1. Otsu's split of the finite values (256-bin histogram over their range) separates a low group
 *    (faces with same-person neighbours) from a high group (faces whose k-th neighbour is a stranger).
 *    Infinite values (beyond a graph's radius) belong to the high group and are otherwise ignored.
 * 2. Between the two groups' medians, the values are binned (`bins`) and smoothed with a Gaussian kernel
 *    of bandwidth 0.9·σ_w·m^(−1/5) (Silverman's rule on σ_w, the pooled within-group standard deviation,
 *    m the number of values): the valley is the centre of the bin of least density.
 * 3. Chinese Whispers: the suggestion is the valley. DBSCAN: the 95th percentile of the values at or
 *    below the valley. DBSCAN chains: one stranger within eps of any core face merges two people, and
 *    the stranger most likely to be that close is the nearest of hundreds of faces of a large cluster,
 *    so its eps stays inside the same-person mode, leaving its last 5% (the faces nearest to strangers)
 *    as border points or noise. (This percentile was chosen on lfw-dev; see README, "Choosing the
 *    threshold", for how close both rules come to the labelled best.)
 *
 * O(m) after the values are read, never sorting more than the two groups. Returns NaN for the threshold
 * when fewer than 4 finite values exist or they are all equal.
 */
export function suggestThreshold(kDistances: ArrayLike<number>, options: SuggestOptions = {}): ThresholdSuggestion {
  if (!isNumberArray(kDistances)) {
    throw new TypeError(`Expected kDistances to be a Float64Array, Float32Array or array of numbers but received ${describe(kDistances)}`);
  }
  const opts = expectOptions('options', options, false);
  const bins = expectInteger('bins', orDefault(opts.bins, 256), 16, 4096);
  const method = expectOneOf('method', orDefault(opts.method, 'cw'), ['cw', 'dbscan'] as const);
  const finite: number[] = [];
  let infinite = 0;
  for (let i = 0; i < kDistances.length; i++) {
    const v = kDistances[i];
    if (Number.isFinite(v) && v >= 0) finite.push(v);
    else if (v === Infinity) infinite++;
    else throw new RangeError(`Expected kDistances to hold numbers >= 0 or Infinity but received ${v} at index ${i}`);
  }
  const m = finite.length;
  const none: ThresholdSuggestion = {
    threshold: NaN, valley: NaN, split: NaN, lowMode: NaN, highMode: NaN, below: 0, above: kDistances.length, separation: 0, valleyDepth: 1, clear: false, bandwidth: NaN,
  };
  if (m < 4) return none;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of finite) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) return none;

  // 1. Otsu on a 256-bin histogram.
  const OTSU_BINS = 256;
  const width = (hi - lo) / OTSU_BINS;
  const hist = new Float64Array(OTSU_BINS);
  for (const v of finite) hist[Math.min(OTSU_BINS - 1, Math.floor((v - lo) / width))]++;
  let total = 0;
  for (let b = 0; b < OTSU_BINS; b++) total += b * hist[b];
  let w0 = 0;
  let s0 = 0;
  let bestScore = -1;
  let bestBin = 0;
  for (let b = 0; b < OTSU_BINS - 1; b++) {
    w0 += hist[b];
    s0 += b * hist[b];
    const w1 = m - w0;
    if (w0 === 0 || w1 === 0) continue;
    const score = w0 * w1 * (s0 / w0 - (total - s0) / w1) ** 2;
    if (score > bestScore) {
      bestScore = score;
      bestBin = b;
    }
  }
  const split = lo + (bestBin + 1) * width;
  const low = finite.filter((v) => v < split).sort((a, b) => a - b);
  const high = finite.filter((v) => v >= split).sort((a, b) => a - b);
  if (low.length === 0 || high.length === 0) return none;
  const lowMode = median(low);
  const highMode = median(high);
  const within = (sumSquares(low) + sumSquares(high)) / m;
  const totalVar = sumSquares(finite) / m;
  const separation = totalVar > 0 ? Math.max(0, Math.min(1, 1 - within / totalVar)) : 0;

  // 2. Smoothed density between the two medians; its minimum is the valley.
  const bandwidth = 0.9 * Math.sqrt(within) * m ** -0.2 || (highMode - lowMode) / 20;
  const step = (highMode - lowMode) / bins;
  const counts = new Float64Array(bins);
  // values within 4 bandwidths outside the range still weigh on the edge bins' density
  const reach = Math.ceil((4 * bandwidth) / step);
  const padded = new Float64Array(bins + 2 * reach);
  for (const v of finite) {
    const b = Math.floor((v - lowMode) / step) + reach;
    if (b >= 0 && b < padded.length) padded[b]++;
  }
  const kernel = Array.from({ length: 2 * reach + 1 }, (_, i) => Math.exp(-0.5 * (((i - reach) * step) / bandwidth) ** 2));
  let valley = 0;
  let peakLow = 0;
  let peakHigh = 0;
  for (let b = 0; b < bins; b++) {
    let s = 0;
    for (let j = 0; j < kernel.length; j++) s += padded[b + j] * kernel[j];
    counts[b] = s;
    if (s < counts[valley]) valley = b;
  }
  for (let b = 0; b <= valley; b++) peakLow = Math.max(peakLow, counts[b]);
  for (let b = valley; b < bins; b++) peakHigh = Math.max(peakHigh, counts[b]);
  const valleyAt = lowMode + (valley + 0.5) * step;
  let threshold = valleyAt;
  if (method === 'dbscan') {
    const under = finite.filter((v) => v <= valleyAt).sort((a, b) => a - b);
    threshold = under[Math.floor(0.95 * (under.length - 1))];
  }
  let below = 0;
  for (const v of finite) if (v <= threshold) below++;
  const valleyDepth = Math.min(peakLow, peakHigh) > 0 ? counts[valley] / Math.min(peakLow, peakHigh) : 1;
  const edge = Math.max(1, Math.floor(bins * 0.02));
  return {
    threshold,
    valley: valleyAt,
    split,
    lowMode,
    highMode,
    below,
    above: kDistances.length - below,
    separation,
    valleyDepth,
    clear: valley >= edge && valley < bins - edge && valleyDepth <= 0.5,
    bandwidth,
  };
}

function isNumberArray(v: unknown): v is ArrayLike<number> {
  return v instanceof Float64Array || v instanceof Float32Array || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
}

function median(sorted: number[]): number {
  const h = sorted.length >> 1;
  return sorted.length % 2 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
}

/** Σ (v − mean)² */
function sumSquares(values: number[]): number {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let s = 0;
  for (const v of values) s += (v - mean) ** 2;
  return s;
}
