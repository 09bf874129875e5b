import { describe, expect, it } from 'vitest';
import { cropPixels, CROP_SIZE } from './crops.js';

describe('cropPixels', () => {
  it('gives size × size RGB pixels, the same for a seed and different across seeds', () => {
    const a = cropPixels(1);
    expect(a.length).toBe(CROP_SIZE * CROP_SIZE * 3);
    expect(cropPixels(1)).toEqual(a);
    expect(cropPixels(2)).not.toEqual(a);
    expect(cropPixels(1, 8).length).toBe(8 * 8 * 3);
  });

  it('is noisy: neighbouring pixels differ', () => {
    const px = cropPixels(3);
    let differ = 0;
    for (let i = 3; i < px.length; i += 3) if (px[i] !== px[i - 3]) differ++;
    expect(differ / (px.length / 3)).toBeGreaterThan(0.5);
  });
});
