import { describe, expect, it } from 'vitest';
import type { DecodedImage, Region } from './decode.js';
import type { RawDetection } from './detect.js';
import { boxInView, pointsFromView, viewsFor, wholeView } from './view.js';

/** A 1600×1200 decoded image of a 4000×3000 photo whose readFull records what it was asked for. */
function reduced(asked: Region[]): DecodedImage {
  return {
    data: new Uint8Array(1600 * 1200 * 3), width: 1600, height: 1200, originalWidth: 4000, originalHeight: 3000,
    scale: 2.5, fullResolutionBelow: 112,
    readFull: async (r) => {
      asked.push(r);
      return { data: new Uint8Array(r.width * r.height * 3), width: r.width, height: r.height };
    },
  };
}
const box = (x1: number, y1: number, h: number): RawDetection => ({ x1, y1, x2: x1 + 0.8 * h, y2: y1 + h, score: 0.9 });

describe('views', () => {
  it('the whole decoded image maps coordinates to themselves, exactly', () => {
    const v = wholeView({ data: new Uint8Array(3), width: 1, height: 1 });
    const d = { x1: 0.1, y1: 1 / 3, x2: 7.7, y2: 9.9, score: 0.5 };
    expect(boxInView(v, d)).toEqual(d);
    expect(pointsFromView(v, [0.1, 1 / 3, 7.7])).toEqual([0.1, 1 / 3, 7.7]);
  });

  it('a face big in the reduced image is looked at there; nothing is decoded again', async () => {
    const asked: Region[] = [];
    const img = reduced(asked);
    const big = box(100, 100, 150);
    expect((await viewsFor(img, [big]))(big).zoom).toBe(1);
    expect(asked).toEqual([]);
  });

  it('small faces are looked at in one full-resolution region around all of them, in original pixels', async () => {
    const asked: Region[] = [];
    const img = reduced(asked);
    const a = box(200, 300, 16), b = box(1200, 900, 40), big = box(600, 100, 200);
    const viewOf = await viewsFor(img, [a, b, big]);
    expect(asked).toHaveLength(1);
    const [r] = asked;
    const va = viewOf(a);
    expect([va.zoom, va.left, va.top, va.width, va.height]).toEqual([2.5, r.left, r.top, r.width, r.height]);
    expect(viewOf(b)).toBe(va);
    expect(viewOf(big).zoom).toBe(1);
    // each small face's verification window (4 × 3 box heights around its centre) lies inside the region
    for (const d of [a, b]) {
      const p = boxInView(va, d), h = p.y2 - p.y1, cx = (p.x1 + p.x2) / 2, cy = (p.y1 + p.y2) / 2;
      expect(cx - 2 * h).toBeGreaterThanOrEqual(0);
      expect(cy - 1.5 * h).toBeGreaterThanOrEqual(0);
      expect(cx + 2 * h).toBeLessThanOrEqual(r.width);
      expect(cy + 1.5 * h).toBeLessThanOrEqual(r.height);
    }
    // and points come back to decoded-image pixels
    expect(pointsFromView(va, [(200 * 2.5) - r.left, (300 * 2.5) - r.top])).toEqual([200, 300]);
  });

  it('the region is clipped to the photo', async () => {
    const asked: Region[] = [];
    const corner = box(1590, 1190, 9);
    await viewsFor(reduced(asked), [corner]);
    const [r] = asked;
    expect(r.left + r.width).toBe(4000);
    expect(r.top + r.height).toBe(3000);
  });
});
