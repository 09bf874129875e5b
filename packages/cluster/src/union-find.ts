/**
 * Union-find over 0 … n−1 in which every root is its set's smallest member, so that the result of a run of
 * joins does not depend on which side each join names (must-link groups, the merge pass).
 * @internal
 */
export class SmallestRootSets {
  private readonly parent: Int32Array;

  constructor(n: number) {
    this.parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }

  /** The root of x's set (path halving). */
  find(x: number): number {
    const parent = this.parent;
    while (parent[x] !== x) x = parent[x] = parent[parent[x]];
    return x;
  }

  /** Joins the sets of two distinct roots: the larger root goes under the smaller, which is returned. */
  joinRoots(a: number, b: number): number {
    const [kept, absorbed] = a < b ? [a, b] : [b, a];
    this.parent[absorbed] = kept;
    return kept;
  }
}
