// Test helpers: where the shared real-face data and the compiled package live. Excluded from the build.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageRoot = fileURLToPath(new URL('..', import.meta.url));
export const repoRoot = path.resolve(packageRoot, '../..');
export const dataDir = path.resolve(repoRoot, '../shared/data');
export const hasData = existsSync(path.join(dataDir, 'lfw-dev')) && existsSync(path.join(dataDir, 'groups'));
export const distIndex = path.join(packageRoot, 'dist', 'index.js');
export const hasDist = existsSync(distIndex) && existsSync(path.join(packageRoot, 'dist', 'worker.js'));

export const photosSmallDir = path.join(dataDir, 'photos-small');
export const hasPhotosSmall = existsSync(photosSmallDir);
/** photos-small (5 people, 9 photos) as paths relative to it, `person/file.jpg`, sorted. */
export function photosSmall(): string[] {
  return readdirSync(photosSmallDir).sort().flatMap((p) => readdirSync(path.join(photosSmallDir, p)).sort().map((f) => `${p}/${f}`));
}

if (!hasData) console.warn(`[embed tests] real face data not found at ${dataDir}: data-dependent tests are skipped`);
if (!hasPhotosSmall) console.warn(`[embed tests] ${photosSmallDir} not found: tests on real moved, copied and damaged stores are skipped`);
if (!hasDist) console.warn(`[embed tests] ${distIndex} missing: tests that use worker threads are skipped (run \`pnpm --filter @faceclust/embed build\`)`);

/** lfw-dev people (sorted) with at least `min` photos, each with their photo paths (sorted). */
export function lfwPeople(min: number, maxPeople: number, maxPhotos = Infinity): { person: string; files: string[] }[] {
  const root = path.join(dataDir, 'lfw-dev');
  const out: { person: string; files: string[] }[] = [];
  for (const person of readdirSync(root).sort()) {
    const files = readdirSync(path.join(root, person)).filter((f) => f.endsWith('.jpg')).sort();
    if (files.length >= min) out.push({ person, files: files.slice(0, maxPhotos).map((f) => path.join(root, person, f)) });
    if (out.length >= maxPeople) break;
  }
  return out;
}
