// embedImages on every kind of bad input (made here, in a temp dir): each is recorded with its reason, the run goes on.
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbedEvent, embedImages } from './embed-images.js';
import { FaceStore } from './store.js';
import { dataDir, hasData, hasDist } from './test-data.js';

/** A PNG whose header claims `w`×`h` pixels but whose data is a few bytes: a decompression bomb in miniature. */
function pngHeaderOnly(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    td.copy(out, 4);
    out.writeUInt32BE(crc(td), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(64))), chunk('IEND', Buffer.alloc(0))]);
}

describe.skipIf(!hasData || !hasDist)('bad input: recorded with its reason, the run goes on', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'faceclust-bad-'));
  const f = (name: string) => path.join(dir, name);
  const good = path.join(dataDir, 'lfw-dev/George_W_Bush/George_W_Bush_0003.jpg');
  let unreadableBlocks = false;
  const events = new Map<string, EmbedEvent>();

  beforeAll(async () => {
    const jpg = readFileSync(good);
    writeFileSync(f('truncated.jpg'), jpg.subarray(0, Math.floor(jpg.length / 2)));
    writeFileSync(f('empty.jpg'), '');
    writeFileSync(f('text.jpg'), 'This is a text file with an image extension.\n');
    await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toFile(f('gray.png'));
    writeFileSync(f('huge-header.png'), pngHeaderOnly(30000, 30000));
    // a real 30,000-pixel-wide image: handled (downscaled for detection), not refused
    await sharp({ create: { width: 30000, height: 60, channels: 3, background: { r: 90, g: 60, b: 30 } } }).jpeg().toFile(f('wide.jpg'));
    copyFileSync(good, f('unreadable.jpg'));
    chmodSync(f('unreadable.jpg'), 0o000);
    try {
      readFileSync(f('unreadable.jpg'));
    } catch {
      unreadableBlocks = true;
    }
    copyFileSync(good, f('good.jpg'));
    const files = ['truncated.jpg', 'empty.jpg', 'text.jpg', 'gray.png', 'huge-header.png', 'wide.jpg', 'unreadable.jpg', 'good.jpg', 'missing.jpg'].map(f);
    for await (const ev of embedImages(files, { storePath: f('faces.sqlite'), threads: 2 })) events.set(path.basename(ev.path), ev);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['truncated.jpg', /^Could not decode image .*truncated\.jpg: .*(premature|truncated|end of)/i],
    ['empty.jpg', /^Could not decode image .*empty\.jpg: empty file \(0 bytes\)$/],
    ['text.jpg', /^Could not decode image .*text\.jpg: .*unsupported image format/i],
    ['huge-header.png', /^Image .*huge-header\.png is 30000x30000 pixels, more than the limit of 300000000 pixels$/],
    ['missing.jpg', /^Could not read .*missing\.jpg: ENOENT/],
  ])('%s is skipped with its reason, and the reason is in the store', (name, reason) => {
    const ev = events.get(name)!;
    expect(ev).toMatchObject({ status: 'skipped', faces: 0 });
    expect(ev.error).toMatch(reason);
    const store = FaceStore.open(f('faces.sqlite'));
    const row = store.listImages().find((r) => r.path === f(name));
    store.close();
    expect(row).toMatchObject({ status: 'error', error: ev.error, faces: 0 });
  });

  it('an unreadable file (chmod 000) is skipped with the reason', (ctx) => {
    if (!unreadableBlocks) {
      ctx.skip('running as root: chmod 000 does not stop reads, so this case cannot be made here');
      return;
    }
    expect(events.get('unreadable.jpg')).toMatchObject({ status: 'skipped', error: expect.stringMatching(/EACCES/) });
  });

  it('an image with no face and a 30,000-px-wide image are done with 0 faces; the good one has its face', () => {
    expect(events.get('gray.png')).toMatchObject({ status: 'done', faces: 0 });
    expect(events.get('wide.jpg')).toMatchObject({ status: 'done', faces: 0 });
    expect(events.get('good.jpg')).toMatchObject({ status: 'done' });
    expect(events.get('good.jpg')!.faces).toBeGreaterThanOrEqual(1);
    expect(events.size).toBe(9);
    expect([...events.values()].map((e) => e.done).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a rerun reports the same outcomes without redoing anything', async () => {
    const again: EmbedEvent[] = [];
    for await (const ev of embedImages([...events.keys()].map(f), { storePath: f('faces.sqlite'), threads: 1 })) again.push(ev);
    for (const ev of again) {
      const first = events.get(path.basename(ev.path))!;
      if (first.status === 'done') expect(ev.status).toBe('cached');
      else if (path.basename(ev.path) !== 'missing.jpg') expect(ev).toMatchObject({ status: 'skipped', error: first.error });
    }
  });

  it('BAD CALL – options are validated before any work', async () => {
    const run = async (opts: object) => {
      for await (const _ of embedImages([good], { storePath: f('x.sqlite'), ...opts })) void _;
    };
    await expect(run({ threads: 0 })).rejects.toThrow(new RangeError('Expected an integer between 1 and 256 for threads but received 0'));
    await expect(run({ threads: 1.5 })).rejects.toThrow(new TypeError('Expected an integer for threads but received 1.5 of type number'));
    await expect(run({ minFaceSize: '20' })).rejects.toThrow(new TypeError('Expected a number for minFaceSize but received "20" of type string'));
    await expect(run({ detect: 1 })).rejects.toThrow(new TypeError('Expected a boolean for detect but received 1 of type number'));
    await expect(run({ storePath: 7 })).rejects.toThrow(new TypeError('Expected a file path for storePath but received 7 of type number'));
  });
});
