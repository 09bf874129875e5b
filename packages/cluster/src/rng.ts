/** mulberry32, exactly as docs/ALGORITHMS.md specifies, so that both backends draw the same numbers. */
export class Mulberry32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next uint32. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform integer in [0, m): `(uint64(next()) · m) >> 32`, exact for any m < 2^32. */
  below(m: number): number {
    const x = this.next();
    // x·m is exact in a double while it stays below 2^53.
    if (m <= 0x200000) return Math.floor((x * m) / 4294967296);
    // Otherwise split x into 16-bit halves: floor((hi·m·2^16 + lo·m) / 2^32), each product exact.
    const hi = x >>> 16;
    const lo = x & 0xffff;
    return Math.floor((hi * m + Math.floor((lo * m) / 65536)) / 65536);
  }
}

/** Fisher–Yates, in place, continuing `rng`: for i = n−1 down to 1, swap order[i] with order[below(i+1)]. */
export function shuffleInPlace(order: Int32Array, rng: Mulberry32): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}
