import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from './decode.js';
import { EmbedError } from './errors.js';

/** The bytes of `r` cut out of a decoded image. */
const rows = (img: { data: Uint8Array; width: number }, r: { left: number; top: number; width: number; height: number }) => {
  const out = new Uint8Array(r.width * r.height * 3);
  for (let y = 0; y < r.height; y++) out.set(img.data.subarray(((r.top + y) * img.width + r.left) * 3, ((r.top + y) * img.width + r.left + r.width) * 3), y * r.width * 3);
  return out;
};

const solid = (w: number, h: number, channels: 3 | 4, c: number[]) =>
  sharp({ create: { width: w, height: h, channels, background: channels === 4 ? { r: c[0], g: c[1], b: c[2], alpha: c[3] } : { r: c[0], g: c[1], b: c[2] } } });

describe('decodeImage', () => {
  it('gives 8-bit RGB for colour, grayscale, alpha and 16-bit images', async () => {
    const inputs = {
      rgb: await solid(8, 6, 3, [10, 20, 30]).png().toBuffer(),
      gray: await solid(8, 6, 3, [90, 90, 90]).toColourspace('b-w').png().toBuffer(),
      alpha: await solid(8, 6, 4, [200, 0, 0, 0]).png().toBuffer(), // fully transparent: flattened onto gray
      deep: await solid(8, 6, 3, [255, 128, 0]).toColourspace('rgb16').png().toBuffer(),
    };
    expect((await sharp(inputs.gray).metadata()).channels).toBe(1);
    expect((await sharp(inputs.deep).metadata()).depth).toBe('ushort');
    const out = Object.fromEntries(await Promise.all(Object.entries(inputs).map(async ([k, v]) => [k, await decodeImage(v)] as const)));
    for (const img of Object.values(out)) {
      expect(img.width).toBe(8);
      expect(img.height).toBe(6);
      expect(img.data.length).toBe(8 * 6 * 3);
      expect(img.scale).toBe(1);
    }
    expect([...out.rgb.data.slice(0, 3)]).toEqual([10, 20, 30]);
    expect([...out.gray.data.slice(0, 3)]).toEqual([90, 90, 90]);
    expect([...out.alpha.data.slice(0, 3)]).toEqual([128, 128, 128]);
    expect([...out.deep.data.slice(0, 3)]).toEqual([255, 128, 0]);
  });

  it('honours EXIF orientation (a 90° rotated JPEG comes out upright)', async () => {
    // 40 wide, 20 tall, left half white; orientation 6 = displayed rotated 90° clockwise
    const raw = Buffer.alloc(40 * 20 * 3);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) raw.fill(255, (y * 40 + x) * 3, (y * 40 + x) * 3 + 3);
    const jpg = await sharp(raw, { raw: { width: 40, height: 20, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(jpg);
    expect([img.width, img.height, img.originalWidth, img.originalHeight]).toEqual([20, 40, 20, 40]);
    expect(img.data[(5 * 20 + 10) * 3]).toBeGreaterThan(200); // top is the former left (white) half
    expect(img.data[(35 * 20 + 10) * 3]).toBeLessThan(50);
  });

  it('reads the first frame of an animated GIF', async () => {
    const gif = await solid(10, 10, 3, [0, 255, 0]).gif().toBuffer();
    const img = await decodeImage(gif);
    expect(img.width).toBe(10);
    expect(img.data[1]).toBeGreaterThan(200);
  });

  // a 1000×750 photo with maxDetectSide 400 is reduced as a 4000×3000 one is with the default 1600
  const reduceBy25 = { detect: true, minFaceSize: 20, maxDetectSide: 400 };
  const noisy = (background: string) =>
    sharp({ create: { width: 1000, height: 750, channels: 3, background, noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg({ quality: 90 });

  it('reduces a large photo to the finest detection pass; readFull gives any region with the bytes of a whole decode', async () => {
    const jpg = await noisy('#6a4').toBuffer();
    const img = await decodeImage(jpg, 'camera.jpg', reduceBy25);
    expect([img.width, img.height, img.scale, img.fullResolutionBelow, img.originalWidth, img.originalHeight]).toEqual([400, 300, 2.5, 112, 1000, 750]);
    const whole = await decodeImage(jpg);
    expect([whole.width, whole.scale, whole.fullResolutionBelow, whole.readFull]).toEqual([1000, 1, 0, undefined]);
    const region = { left: 334, top: 500, width: 300, height: 200 };
    const part = await img.readFull!(region);
    expect([part.width, part.height]).toEqual([300, 200]);
    expect(Buffer.from(part.data).equals(Buffer.from(rows(whole, region)))).toBe(true);
  });

  it('readFull takes regions in upright pixels (EXIF orientation applied first)', async () => {
    const sideways = await noisy('#a46').withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(sideways, 'sideways.jpg', reduceBy25);
    expect([img.width, img.height, img.originalWidth, img.originalHeight]).toEqual([300, 400, 750, 1000]);
    const whole = await decodeImage(sideways);
    const region = { left: 600, top: 700, width: 120, height: 300 };
    expect(Buffer.from((await img.readFull!(region)).data).equals(Buffer.from(rows(whole, region)))).toBe(true);
  });

  it('BAD CALL – garbage and empty input give an EmbedError naming the input', async () => {
    await expect(decodeImage(Buffer.from('not an image at all'), 'notes.jpg')).rejects.toThrow(/Could not decode image notes\.jpg/);
    await expect(decodeImage(Buffer.from('not an image at all'), 'notes.jpg')).rejects.toBeInstanceOf(EmbedError);
  });
});
