/**
 * `saveas`: one folder per cluster (`0`, `1`, … largest first, then `no_class`) holding each face's crop,
 * or with `photos` each face's whole photo. Names keep the source name, prefixed with a short hash of the
 * photo's folder, so two IMG_0001.jpg from different folders never overwrite each other.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { clusterName, type ClusteringResult } from '../result.js';
import type { SaveAs } from '../options.js';
import { imageExtension, type CropSource } from './crops.js';

/** 8 hex digits of the SHA-1 of the photo's absolute folder: unique per folder, stable across runs. */
export function folderTag(file: string): string {
  return createHash('sha1').update(path.dirname(path.resolve(file))).digest('hex').slice(0, 8);
}

/** `<tag>_<name>_face<k>.<ext>` for a crop, `<tag>_<name>.<ext>` for a photo. */
export function savedName(file: string, face: number | null, ext?: string): string {
  const base = path.basename(file);
  if (face === null) return `${folderTag(file)}_${base}`;
  const stem = base.slice(0, base.length - path.extname(base).length);
  return `${folderTag(file)}_${stem}_face${face}.${ext ?? 'png'}`;
}

/** Writes the folders under `dir` (which must not exist yet); returns the number of files written. */
export async function writeFolders(dir: string, r: ClusteringResult, mode: Exclude<SaveAs, false>, crops: CropSource, tick: () => void = () => {}): Promise<number> {
  fs.mkdirSync(dir);
  let written = 0;
  for (const c of r.summaries) {
    const sub = path.join(dir, clusterName(c.cluster));
    fs.mkdirSync(sub);
    const done = new Set<string>();
    for (const i of c.members) {
      const f = r.faces[i];
      tick();
      if (mode === 'photos') {
        // a photo with two faces in one cluster is copied once
        const name = savedName(f.file, null);
        if (done.has(name)) continue;
        done.add(name);
        await fs.promises.copyFile(f.file, path.join(sub, name), fs.constants.COPYFILE_EXCL);
      } else {
        const bytes = crops(f.faceId);
        await fs.promises.writeFile(path.join(sub, savedName(f.file, f.face, imageExtension(bytes) === 'jpeg' ? 'jpg' : 'png')), bytes, { flag: 'wx' });
      }
      written++;
    }
  }
  return written;
}
