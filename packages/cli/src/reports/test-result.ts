/** Shared by the report tests (excluded from the build): a small hand-made clustering record and its crops. */
import sharp from 'sharp';
import type { ClusteringResult, FaceResult } from '../result.js';
import type { CropSource } from './crops.js';

/**
 * A cw call over `faces` ([file, cluster] per face, −1 = no_class), plus photos with no face and a
 * skipped file. Summaries: one per cluster in order of first appearance, no_class last.
 */
export function handMadeResult(faces: [string, number][], noFace: string[], call = 1): ClusteringResult {
  const rows: FaceResult[] = faces.map(([file, cluster], i) => ({
    faceId: i + 1, file, face: 0, box: [10, 20, 30, 40], score: 0.99, cluster, distance: cluster < 0 ? null : 0.25, person: null,
  }));
  const ids = [...new Set(faces.map(([, c]) => c))].sort((a, b) => (a < 0 ? 1 : b < 0 ? -1 : a - b));
  const summaries = ids.map((cluster) => {
    const members = faces.flatMap(([, c], i) => (c === cluster ? [i] : []));
    return { cluster, size: members.length, cohesion: cluster < 0 ? null : 0.25, representative: members[0], members };
  });
  return {
    call, method: 'cw',
    params: { threshold: 1, iterations: 30, seed: 0, minClusterSize: 1, mergeRadius: 0.9, metric: 'euclidean', backend: 'auto' },
    gate: { rejected: 0 }, model: 'test', images: new Set(faces.map(([f]) => f)).size + noFace.length + 1,
    clusters: ids.filter((c) => c >= 0).length, noise: faces.filter(([, c]) => c < 0).length,
    faces: rows, labels: Int32Array.from(faces.map(([, c]) => c)), summaries,
    skipped: [{ path: '/photos/broken.jpg', reason: 'not an image' }], noFace, missing: [], notices: [],
    backend: 'ts', neighbors: { requested: 'exact', used: 'exact' }, edges: 0,
    timings: { embedMs: 0, indexMs: 0, graphMs: 0, clusterMs: 0, reportsMs: 0, totalMs: 0 },
    outputs: { log: '', xlsx: '', report: '', reportIndex: '' }, saveas: false,
    people: { mode: 'proposed', constraints: { confirmedPeople: 0, confirmedFaces: 0, cannotLinks: 0, samePhotoPairs: 0, allowSamePhoto: false } },
  } satisfies ClusteringResult;
}

/** Every face's crop: one small grey PNG. */
export async function greyCrops(): Promise<CropSource> {
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toBuffer();
  return () => png;
}
