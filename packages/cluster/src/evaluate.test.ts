import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import { Mulberry32 } from './rng.js';

interface EvaluateFixture {
  note: string;
  cases: {
    name: string;
    labels: number[];
    truth: number[];
    pairwisePrecision: number;
    pairwiseRecall: number;
    nmi: number;
    ari: number;
  }[];
}

// Made by __fixtures__/make-dbscan-fixtures.py with scikit-learn (pair_confusion_matrix, NMI, ARI).
const fixture = JSON.parse(readFileSync(new URL('./__fixtures__/evaluate-fixtures.json', import.meta.url), 'utf8')) as EvaluateFixture;

/** Brute force over all pairs and items, straight from the definitions (small n only). */
function bruteForce(labels: Int32Array, truth: Int32Array) {
  const n = labels.length;
  // Negative labels are singletons: give each a unique id below any real label.
  const pred = Array.from(labels, (l, i) => (l < 0 ? -1 - i : l));
  const real = Array.from(truth, (l, i) => (l < 0 ? -1 - i : l));
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const samePred = pred[i] === pred[j];
      const sameTrue = real[i] === real[j];
      if (samePred && sameTrue) tp++;
      else if (samePred) fp++;
      else if (sameTrue) fn++;
      else tn++;
    }
  }
  let bp = 0;
  let br = 0;
  for (let i = 0; i < n; i++) {
    let cluster = 0;
    let cls = 0;
    let both = 0;
    for (let j = 0; j < n; j++) {
      if (pred[j] === pred[i]) cluster++;
      if (real[j] === real[i]) cls++;
      if (pred[j] === pred[i] && real[j] === real[i]) both++;
    }
    bp += both / cluster;
    br += both / cls;
  }
  const ari = fn === 0 && fp === 0 ? 1 : (2 * (tp * tn - fn * fp)) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
  return { precision: tp + fp === 0 ? 1 : tp / (tp + fp), recall: tp + fn === 0 ? 1 : tp / (tp + fn), bp: bp / n, br: br / n, ari };
}

describe('evaluate against scikit-learn', () => {
  it.each(fixture.cases)('$name', ({ labels, truth, pairwisePrecision, pairwiseRecall, nmi, ari }) => {
    const result = evaluate(Int32Array.from(labels), Int32Array.from(truth));
    expect(result.pairwise.precision).toBeCloseTo(pairwisePrecision, 12);
    expect(result.pairwise.recall).toBeCloseTo(pairwiseRecall, 12);
    expect(result.nmi).toBeCloseTo(nmi, 12);
    expect(result.ari).toBeCloseTo(ari, 12);
  });
});

describe('evaluate', () => {
  it('matches hand-computed pairwise and BCubed scores (noise as singletons)', () => {
    // Predicted {0,1,2} {3,4} and noise 5; true {0,1} {2,3,4,5}.
    const r = evaluate(Int32Array.from([0, 0, 0, 1, 1, -1]), Int32Array.from([0, 0, 1, 1, 1, 1]));
    expect(r.pairwise.precision).toBeCloseTo(2 / 4, 15);
    expect(r.pairwise.recall).toBeCloseTo(2 / 7, 15);
    expect(r.pairwise.f).toBeCloseTo(4 / 11, 15);
    expect(r.bcubed.precision).toBeCloseTo(7 / 9, 15);
    expect(r.bcubed.recall).toBeCloseTo(7 / 12, 15);
    expect(r.bcubed.f).toBeCloseTo(2 / 3, 15);
    expect([r.clusters, r.trueClusters]).toEqual([3, 2]);
  });

  it('follows the documented conventions: no predicted pair → precision 1; n = 0 → all 1', () => {
    const singles = evaluate(Int32Array.from([-1, -1, -1, -1]), Int32Array.from([0, 0, 1, 1]));
    expect(singles.pairwise).toEqual({ precision: 1, recall: 0, f: 0 });
    expect(singles.bcubed.precision).toBe(1);
    expect(singles.bcubed.recall).toBe(0.5);
    expect(singles.clusters).toBe(4);
    const empty = evaluate(new Int32Array(0), new Int32Array(0));
    expect(empty).toEqual({
      pairwise: { precision: 1, recall: 1, f: 1 },
      bcubed: { precision: 1, recall: 1, f: 1 },
      nmi: 1,
      ari: 1,
      clusters: 0,
      trueClusters: 0,
    });
  });

  it('equals brute-force pair and item enumeration on random labelings', () => {
    const rng = new Mulberry32(12);
    for (let trial = 0; trial < 30; trial++) {
      const n = 1 + rng.below(80);
      const k = 1 + rng.below(8);
      const labels = Int32Array.from({ length: n }, () => rng.below(k + 1) - 1);
      const truth = Int32Array.from({ length: n }, () => rng.below(1 + rng.below(6)));
      const r = evaluate(labels, truth);
      const b = bruteForce(labels, truth);
      expect(r.pairwise.precision).toBeCloseTo(b.precision, 12);
      expect(r.pairwise.recall).toBeCloseTo(b.recall, 12);
      expect(r.bcubed.precision).toBeCloseTo(b.bp, 12);
      expect(r.bcubed.recall).toBeCloseTo(b.br, 12);
      expect(r.ari).toBeCloseTo(b.ari, 12);
    }
  });

  it('does not depend on label values (large and sparse labels take another path)', () => {
    const rng = new Mulberry32(5);
    const labels = Int32Array.from({ length: 300 }, () => rng.below(12) - 1);
    const truth = Int32Array.from({ length: 300 }, () => rng.below(9));
    const sparse = labels.map((l) => (l < 0 ? l : l * 100_003 + 2_000_000_000 - 1_200_036));
    const sparseTruth = truth.map((t) => 2_147_483_647 - t * 7);
    expect(evaluate(sparse, sparseTruth)).toEqual(evaluate(labels, truth));
  });

  it('scores 500k labels from contingency counts (a renamed perfect clustering scores 1)', () => {
    const n = 500_000;
    const rng = new Mulberry32(3);
    const truth = Int32Array.from({ length: n }, () => rng.below(20_000));
    const renamed = truth.map((t) => (t * 7919) % 20_011);
    const perfect = evaluate(renamed, truth);
    expect(perfect.pairwise).toEqual({ precision: 1, recall: 1, f: 1 });
    expect(perfect.bcubed.f).toBeCloseTo(1, 12);
    expect(perfect.nmi).toBeCloseTo(1, 12);
    expect(perfect.ari).toBe(1);
    const random = evaluate(Int32Array.from({ length: n }, () => rng.below(20_000)), truth);
    expect(random.ari).toBeLessThan(0.01);
    expect(random.pairwise.precision).toBeLessThan(0.01);
  });

  it.each([
    [[0, 1], Int32Array.from([0, 1]), TypeError, 'Expected labels to be an Int32Array but received an array of length 2'],
    [Int32Array.from([0, 1]), new Float32Array(2), TypeError, 'Expected truth to be an Int32Array but received Float32Array of length 2'],
    [Int32Array.from([0, 1]), Int32Array.from([0]), RangeError, 'Expected labels and truth to have the same length but received 2 and 1'],
  ])('BAD CALL – %#', (labels, truth, ErrorClass, message) => {
    expect(() => evaluate(labels as never, truth as never)).toThrow(ErrorClass);
    expect(() => evaluate(labels as never, truth as never)).toThrow(message);
  });
});
