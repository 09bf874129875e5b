import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { detectFaces, embedFace } from './pipeline.js';
import { dataDir, hasData } from './test-data.js';

describe.skipIf(!hasData)('single-image API', () => {
  const file = path.join(dataDir, 'lfw-dev/George_W_Bush/George_W_Bush_0005.jpg');

  it('embedFace is deterministic and returns unit vectors, PNG crops and quality', async () => {
    const [a] = await embedFace(file);
    const [b] = await embedFace(file);
    expect(a.embedding).toEqual(b.embedding);
    expect(a.embedding).toHaveLength(512);
    expect(Math.hypot(...a.embedding)).toBeCloseTo(1, 5);
    expect(a.model).toMatch(/^faceplugin-fr-feature@sha256:[0-9a-f]{16}$/);
    expect((await sharp(a.crop).metadata()).width).toBe(112);
    expect(a.quality.size).toBeCloseTo(a.box[3], 6);
    expect(a.quality.sharpness).toBeGreaterThan(0);
  });

  it('honours EXIF orientation: a photo stored sideways with an orientation tag gives the same face, upright', async () => {
    // pixels rotated 90° clockwise, tagged orientation 8 (display rotated 90° counter-clockwise): shows upright
    const sideways = await sharp(file).rotate(90).jpeg({ quality: 95 }).withMetadata({ orientation: 8 }).toBuffer();
    const [up] = await detectFaces(file);
    const [tagged] = await detectFaces(sideways);
    expect(tagged).toBeDefined();
    for (let i = 0; i < 4; i++) expect(Math.abs(tagged.box[i] - up.box[i])).toBeLessThan(6);
    const [e1] = await embedFace(file);
    const [e2] = await embedFace(sideways);
    let dot = 0;
    for (let i = 0; i < 512; i++) dot += e1.embedding[i] * e2.embedding[i];
    expect(dot).toBeGreaterThan(0.9);
  });

  it('finds a small face in a large photo (tiled passes) at its place in original pixels, stored upright or sideways', async () => {
    // the LFW photo (250 px) pasted at (2600, 1900) into a 4000×3000 gray canvas: ~100 px face in 12 MP
    const canvas = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: { r: 120, g: 120, b: 120 } } })
      .composite([{ input: file, left: 2600, top: 1900 }])
      .jpeg()
      .toBuffer();
    const [ref] = await detectFaces(file);
    const faces = await detectFaces(canvas);
    expect(faces).toHaveLength(1);
    expect(Math.abs(faces[0].box[0] - (ref.box[0] + 2600))).toBeLessThan(8);
    expect(Math.abs(faces[0].box[1] - (ref.box[1] + 1900))).toBeLessThan(8);
    // stored sideways with an orientation tag: decoded reduced, the face read again at full resolution, all
    // in upright pixels
    const sideways = await sharp(canvas).rotate(90).jpeg({ quality: 95 }).withMetadata({ orientation: 8 }).toBuffer();
    const [tagged] = await detectFaces(sideways);
    for (let i = 0; i < 4; i++) expect(Math.abs(tagged.box[i] - faces[0].box[i])).toBeLessThan(4);
    for (let i = 0; i < 10; i++) expect(Math.abs(tagged.landmarks[i] - faces[0].landmarks[i])).toBeLessThan(4);
  });

  it('detect: false embeds a ready crop as one face', async () => {
    const crop = path.join(dataDir, 'bbt-crops/sheldon/sheldon1.png');
    const faces = await embedFace(crop, { detect: false });
    expect(faces).toHaveLength(1);
    expect(faces[0].embedding).toHaveLength(512);
  });
});
