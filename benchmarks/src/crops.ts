/**
 * Face crops with the size of real ones, for benchmarks that read crops back (serve-scale.ts): the store's
 * aligned crops are 112×112 PNGs of ~15–16 KB, where fillStore's default grey square is ~0.3 KB, which
 * would make every crop row, the static report's files and the server's responses unrealistically small.
 */
import sharp from 'sharp';
import { mulberry32 } from './generator.js';

export const CROP_SIZE = 112;

/**
 * Raw RGB pixels (size × size × 3) of a synthetic crop: a light radial gradient tinted by `seed`, with
 * per-pixel luminance noise of ± `noise`/2 levels, which is what makes the PNG as large as a photo's crop
 * (amplitude 12 gives ~16 KB at 112×112). The same seed gives the same pixels.
 */
export function cropPixels(seed: number, size = CROP_SIZE, noise = 12): Buffer {
  const random = mulberry32(seed);
  const tint = [0, 0, 0].map(() => Math.round(random() * 40 - 20));
  const px = Buffer.alloc(size * size * 3);
  const cx = size / 2, cy = size * 0.45;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - cx, y - cy) / (size / 2);
      const n = (random() - 0.5) * noise;
      for (let c = 0; c < 3; c++) px[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(200 - 110 * d + 15 * c + tint[c]! + n)));
    }
  }
  return px;
}

/** `count` different crops as PNG bytes (crop k from seed `seed + k`). */
export function realisticCrops(count: number, seed = 1): Promise<Buffer[]> {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`Expected an integer from 1 for count but received ${count}`);
  return Promise.all(Array.from({ length: count }, (_, k) => sharp(cropPixels(seed + k), { raw: { width: CROP_SIZE, height: CROP_SIZE, channels: 3 } }).png().toBuffer()));
}
