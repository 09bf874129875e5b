/**
 * Burst sets from ../shared/data/lfw-dev: a person's photos plus a burst of near-identical frames of one of
 * them (a shifted crop, brighter, darker, a JPEG re-encode at quality 40, a zoomed brighter re-encode, and
 * the photo itself again), as a phone's burst mode or a photo shared twice leaves them. Used by the burst
 * test (src/burst.test.ts) and by scripts/eval-defaults.mjs.
 *
 *   import { makeBurstSet, BURSTS } from './burst-set.mjs';
 *   await makeBurstSet(lfwDir, outDir, BURSTS);   // outDir/<Person>/… , the folder is the identity
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

/**
 * Person and the photo whose burst Chinese Whispers (threshold 1.0, no merge pass) split from the person's
 * other photos; found by embedding a burst of each lfw-dev person's photo farthest from the rest.
 */
export const BURSTS = [
  ['Tiger_Woods', 'Tiger_Woods_0006.jpg'],
  ['Shimon_Peres', 'Shimon_Peres_0001.jpg'],
  ['Bob_Hope', 'Bob_Hope_0004.jpg'],
  ['Halle_Berry', 'Halle_Berry_0002.jpg'],
  ['Julianne_Moore', 'Julianne_Moore_0018.jpg'],
  ['Richard_Virenque', 'Richard_Virenque_0001.jpg'],
  ['Winona_Ryder', 'Winona_Ryder_0002.jpg'],
];

/** The five altered frames of one photo (JPEG buffers), deterministic. */
export async function burstFrames(file) {
  const src = fs.readFileSync(file);
  const { width, height } = await sharp(src).metadata();
  const crop = (d) => ({ left: d, top: Math.round(d * 0.6), width: width - 2 * d, height: height - 2 * d });
  return [
    await sharp(src).extract(crop(7)).resize(width, height).jpeg({ quality: 90 }).toBuffer(),
    await sharp(src).modulate({ brightness: 1.2 }).jpeg({ quality: 90 }).toBuffer(),
    await sharp(src).modulate({ brightness: 0.8 }).jpeg({ quality: 90 }).toBuffer(),
    await sharp(src).jpeg({ quality: 40 }).toBuffer(),
    await sharp(src).extract(crop(12)).resize(width, height).modulate({ brightness: 1.1 }).jpeg({ quality: 70 }).toBuffer(),
  ];
}

/**
 * Writes `out/<person>/` for each [person, photo] of `bursts`: every lfw-dev photo of the person, and the
 * burst (`<photo>_burst_1..6.jpg`: the five altered frames and an exact copy). `extraPeople` are copied
 * whole, without a burst (strangers). Returns the number of files written.
 */
export async function makeBurstSet(lfwDir, out, bursts = BURSTS, extraPeople = []) {
  let written = 0;
  const copyPerson = (person) => {
    const dir = path.join(out, person);
    fs.mkdirSync(dir, { recursive: true });
    for (const f of fs.readdirSync(path.join(lfwDir, person)).sort()) {
      fs.copyFileSync(path.join(lfwDir, person, f), path.join(dir, f));
      written++;
    }
    return dir;
  };
  for (const [person, photo] of bursts) {
    const dir = copyPerson(person);
    const stem = path.basename(photo, path.extname(photo));
    const frames = [...(await burstFrames(path.join(lfwDir, person, photo))), fs.readFileSync(path.join(lfwDir, person, photo))];
    frames.forEach((buf, k) => fs.writeFileSync(path.join(dir, `${stem}_burst_${k + 1}.jpg`), buf));
    written += frames.length;
  }
  for (const person of extraPeople) copyPerson(person);
  return written;
}
