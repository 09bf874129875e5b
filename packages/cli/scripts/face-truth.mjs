/**
 * The scoring rule of the evaluation scripts (eval-lfw, eval-defaults, metric-defaults): each photo's main
 * face, and its identity = the name of the photo's folder.
 */
import path from 'node:path';

/** LFW's photos are 250×250 and centred on the named person: the face whose box centre is nearest the centre. */
export const centred = (f) => Math.hypot(f.box[0] + f.box[2] / 2 - 125, f.box[1] + f.box[3] / 2 - 125);
/** Photos of one person with others around: the largest face. */
export const largest = (f) => -f.box[2] * f.box[3];

/**
 * `faces` (store order) → `main`: the index of each photo's main face (smallest `rank`), ascending;
 * `truth`: its folder's identity number; `people`: how many folders.
 */
export function mainFaceTruth(faces, rank = centred) {
  const best = new Map();
  faces.forEach((f, i) => {
    const key = rank(f);
    const cur = best.get(f.file);
    if (!cur || key < cur.key) best.set(f.file, { i, key });
  });
  const main = [...best.values()].map((b) => b.i).sort((a, b) => a - b);
  const ids = new Map();
  const truth = Int32Array.from(main, (i) => {
    const p = path.basename(path.dirname(faces[i].file));
    if (!ids.has(p)) ids.set(p, ids.size);
    return ids.get(p);
  });
  return { main, truth, people: ids.size };
}
