/** The distance metrics both backends implement (docs/ALGORITHMS.md, "Distances"). */
export const METRICS = ['euclidean', 'sqeuclidean', 'cosine', 'manhattan', 'chebyshev'] as const;

/**
 * A distance metric:
 * - `euclidean`: √Σ(a−b)²
 * - `sqeuclidean`: Σ(a−b)²
 * - `cosine`: 1 − a·b / (‖a‖‖b‖), and 1 when either norm is 0
 * - `manhattan`: Σ|a−b|
 * - `chebyshev`: max |a−b|
 */
export type Metric = (typeof METRICS)[number];

/** The metrics scikit-learn (scipy) knows that the clustering calls take besides {@link METRICS} (metric-input.ts). */
export const EXTRA_METRICS = ['minkowski', 'correlation', 'braycurtis', 'canberra', 'seuclidean', 'mahalanobis'] as const;
export type ExtraMetric = (typeof EXTRA_METRICS)[number];
