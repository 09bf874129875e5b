/**
 * `saveas`: one folder per cluster (`0`, `1`, … largest first, then `no_class`; a cluster that is one of the
 * folder's people is `0 person 3 Ana`) holding each face's crop,
 * or with `photos` each face's whole photo. Names keep the source name with its extension, prefixed with a
 * short hash of the photo's folder, so neither two IMG_0001.jpg from different folders nor IMG_0001.JPG and
 * IMG_0001.HEIC from one folder can meet. Every file is created exclusively: nothing is overwritten.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createFolder, OutputError, outputError } from '../output.js';
import { clusterName, type ClusteringResult } from '../result.js';
import type { SaveAs } from '../options.js';
import { imageExtension, type CropSource } from './crops.js';

/** 8 hex digits of the SHA-1 of the photo's absolute folder: unique per folder, stable across runs. */
export function folderTag(file: string): string {
  return createHash('sha1').update(path.dirname(path.resolve(file))).digest('hex').slice(0, 8);
}

/** `<tag>_<name.ext>_face<k>.<crop ext>` for a crop, `<tag>_<name.ext>` for a photo. */
export function savedName(file: string, face: number | null, ext?: string): string {
  const base = path.basename(file);
  if (face === null) return `${folderTag(file)}_${base}`;
  return `${folderTag(file)}_${base}_face${face}.${ext ?? 'png'}`;
}

/**
 * A cluster's folder name: its number, then its person's id and name when it has one (`0 person 3 Ana`). The
 * name is made safe on every file system: no path separators, control or reserved characters (`<>:"/\\|?*`),
 * no leading or trailing dots and spaces, at most 80 characters.
 */
export function clusterFolderName(cluster: number, person: { id: number; name: string | null } | null): string {
  if (cluster < 0 || !person) return clusterName(cluster);
  const safe = (person.name ?? '')
    .replace(/[\u0000-\u001f\u007f<>:"/\\|?*]+/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+|[\s.]+$/g, '')
    .slice(0, 80)
    .trim();
  return `${cluster} person ${person.id}${safe ? ` ${safe}` : ''}`;
}

/**
 * Writes the folders under `dir` (which must not exist yet); returns the number of files written. A file that
 * cannot be written (the photo was deleted meanwhile, the disk is full) fails with an OutputError naming it.
 */
export async function writeFolders(dir: string, r: ClusteringResult, mode: Exclude<SaveAs, false>, crops: CropSource, tick: () => void = () => {}): Promise<number> {
  createFolder(dir);
  let written = 0;
  for (const c of r.summaries) {
    const sub = path.join(dir, clusterFolderName(c.cluster, r.faces[c.members[0]!]?.person ?? null));
    createFolder(sub);
    const done = new Set<string>();
    for (const i of c.members) {
      const f = r.faces[i];
      tick();
      if (mode === 'photos') {
        // a photo with two faces in one cluster is copied once
        const name = savedName(f.file, null);
        if (done.has(name)) continue;
        done.add(name);
        const target = path.join(sub, name);
        try {
          await fs.promises.copyFile(f.file, target, fs.constants.COPYFILE_EXCL);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EEXIST') throw outputError(target, err);
          const why = code === 'ENOENT' && !fs.existsSync(f.file) ? 'the photo is no longer there (moved or deleted while this call ran)' : (code ?? (err as Error).message);
          throw new OutputError(`Could not copy ${f.file} to ${target}: ${why}`, { cause: err });
        }
      } else {
        const bytes = crops(f.faceId);
        const target = path.join(sub, savedName(f.file, f.face, imageExtension(bytes) === 'jpeg' ? 'jpg' : 'png'));
        try {
          await fs.promises.writeFile(target, bytes, { flag: 'wx' });
        } catch (err) {
          throw outputError(target, err);
        }
      }
      written++;
    }
  }
  return written;
}
