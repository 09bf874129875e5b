// The embedders built from fr_feature.onnx at install (scripts/feature-models.mjs, run by
// scripts/fetch-models.mjs): same bytes on every build; the fp32 graph the default embedder runs gives
// each face what the npm model gives it, alone or in a batch; the equalised network computes the same
// function; the int8 model stays close to fp32.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { embedCrops } from './embedder.js';
import { DERIVED_MODEL_FILES, type Sessions, defaultModelPath, embedderId, loadSessions, modelHash, modelsDir } from './models.js';
import { embedFace } from './pipeline.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { embedImages } from './embed-images.js';
import { FaceStore } from './store.js';
import { hasData, hasDist, lfwPeople, packageRoot } from './test-data.js';

type Bytes = Uint8Array;
interface Calibration { channels: Record<string, number[]>; ranges: Record<string, Record<string, number>>; method: string }
/** What the tests use of scripts/feature-models.mjs and scripts/fetch-models.mjs (plain JS run at install). */
interface FeatureModels {
  buildFeatureModels(feature: Bytes, calibration: Calibration): { fp32: Bytes; int8: Bytes };
  readModel(bytes: Bytes): unknown;
  writeModel(model: unknown): Bytes;
  makeBatch(model: unknown): unknown;
  equalise(model: unknown, channels: Record<string, number[]>): unknown;
}
const script = (name: string) => pathToFileURL(path.join(packageRoot, 'scripts', name)).href;
const fm = (await import(script('feature-models.mjs'))) as FeatureModels;
const { DERIVED_MODELS, CALIBRATION_FILE } = (await import(script('fetch-models.mjs'))) as { DERIVED_MODELS: Record<string, string>; CALIBRATION_FILE: string };
const sha256 = (b: Bytes) => createHash('sha256').update(b).digest('hex');
const calibration = JSON.parse(readFileSync(CALIBRATION_FILE, 'utf8')) as Calibration;
const featureBytes = readFileSync(defaultModelPath('feature'));

const cosine = (a: Float32Array, b: Float32Array) => {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return d / Math.sqrt(na * nb);
};

describe('building the derived embedders', () => {
  it('gives the same bytes on every build, the SHA-256 sums pinned in fetch-models.mjs, and the files in models/', () => {
    const a = fm.buildFeatureModels(featureBytes, calibration);
    const b = fm.buildFeatureModels(featureBytes, calibration);
    expect(Buffer.compare(a.fp32, b.fp32)).toBe(0);
    expect(Buffer.compare(a.int8, b.int8)).toBe(0);
    expect(sha256(a.fp32)).toBe(DERIVED_MODELS[DERIVED_MODEL_FILES.featureFp32]);
    expect(sha256(a.int8)).toBe(DERIVED_MODELS[DERIVED_MODEL_FILES.featureInt8]);
    expect(modelHash(path.join(modelsDir(), DERIVED_MODEL_FILES.featureFp32))).toBe(sha256(a.fp32));
    expect(modelHash(path.join(modelsDir(), DERIVED_MODEL_FILES.featureInt8))).toBe(sha256(a.int8));
  });

  it('reading and writing a model is a fixed point (the protobuf codec keeps every field)', () => {
    const once = fm.writeModel(fm.readModel(featureBytes));
    expect(Buffer.compare(fm.writeModel(fm.readModel(once)), once)).toBe(0);
  });

  it('the default embedder keeps the npm model\'s id (same function); the int8 one has its own, so stores never mix them', () => {
    expect(embedderId('default')).toBe('faceplugin-fr-feature@sha256:87aacdfe57510db2');
    expect(embedderId('default-int8')).toBe(`faceplugin-fr-feature-int8@sha256:${DERIVED_MODELS[DERIVED_MODEL_FILES.featureInt8].slice(0, 16)}`);
    expect(embedderId('default-int8')).not.toBe(embedderId('default'));
  });
});

describe.skipIf(!hasData)('derived embedders on real faces', () => {
  // 24 lfw-dev faces of 8 people, aligned by the pipeline
  const crops: Uint8Array[] = [];
  let npm: Sessions, fp32: Sessions, int8: Sessions;
  beforeAll(async () => {
    for (const { files } of lfwPeople(3, 8, 3)) {
      for (const f of files) {
        const [face] = await embedFace(f);
        crops.push(new Uint8Array(await sharp(face.crop).removeAlpha().raw().toBuffer()));
      }
    }
    npm = await loadSessions(defaultModelPath('feature')); // the npm file itself, as a custom model
    fp32 = await loadSessions('default');
    int8 = await loadSessions('default-int8');
  });

  it('the default embedder gives every face what the npm model gives it, one face per call or eight', async () => {
    expect(npm.featureBatch).toBe(1);
    expect(fp32.featureBatch).toBe(1);
    const ref = await embedCrops(npm, crops);
    const one = await embedCrops(fp32, crops);
    const eight = await embedCrops({ ...fp32, featureBatch: 8 }, crops);
    for (let i = 0; i < crops.length; i++) {
      expect(cosine(ref[i].embedding, one[i].embedding)).toBeGreaterThan(1 - 1e-6);
      expect(Math.abs(ref[i].norm - one[i].norm)).toBeLessThan(1e-4 * ref[i].norm);
      expect(cosine(one[i].embedding, eight[i].embedding)).toBeGreaterThan(1 - 1e-6);
    }
  });

  it('a face embedded in a batch of many gets what it gets alone (int8)', async () => {
    const many = await embedCrops(int8, crops);
    for (const i of [0, 7, crops.length - 1]) {
      const [alone] = await embedCrops(int8, [crops[i]]);
      expect(cosine(alone.embedding, many[i].embedding)).toBeGreaterThan(1 - 1e-6);
    }
  });

  it('equalisation leaves the fp32 network\'s function unchanged', async () => {
    const ort = await import('onnxruntime-node');
    const eq = fm.writeModel(fm.equalise(fm.makeBatch(fm.readModel(featureBytes)), calibration.channels));
    const session = await ort.InferenceSession.create(eq, { intraOpNumThreads: 1 });
    const sessions = { ...npm, feature: session };
    const ref = await embedCrops(npm, crops);
    const got = await embedCrops(sessions, crops);
    for (let i = 0; i < crops.length; i++) expect(cosine(ref[i].embedding, got[i].embedding)).toBeGreaterThan(1 - 1e-5);
  });

  it('int8 embeddings stay close to fp32 ones and keep raw lengths within 10 %', async () => {
    const ref = await embedCrops(npm, crops);
    const got = await embedCrops(int8, crops);
    const cs = ref.map((r, i) => cosine(r.embedding, got[i].embedding)).sort((a, b) => a - b);
    expect(cs[0]).toBeGreaterThan(0.97);
    expect(cs[cs.length >> 1]).toBeGreaterThan(0.985);
    for (let i = 0; i < crops.length; i++) expect(Math.abs(got[i].norm / ref[i].norm - 1)).toBeLessThan(0.1);
  });

  it('embedFace with model default-int8 records the int8 model id', async () => {
    const [f] = await embedFace(lfwPeople(3, 1, 1)[0].files[0], { model: 'default-int8' });
    expect(f.model).toBe(embedderId('default-int8'));
    expect(f.embedding).toHaveLength(512);
  });

  it.skipIf(!hasDist)('embedImages with default-int8: each photo as embedFace gives it, under the int8 id only', async () => {
    const files = lfwPeople(3, 4, 3).flatMap((p) => p.files);
    const dir = mkdtempSync(path.join(tmpdir(), 'faceclust-int8-'));
    try {
      const storePath = path.join(dir, 'faces.sqlite');
      for await (const ev of embedImages(files, { storePath, model: 'default-int8', threads: 1 })) expect(ev.status).toBe('done');
      const store = FaceStore.open(storePath);
      const set = store.loadFaces('default-int8');
      expect(set.model).toBe(embedderId('default-int8'));
      expect(store.loadFaces('default').faces).toEqual([]);
      store.close();
      for (const [i, f] of set.faces.entries()) {
        const alone = (await embedFace(f.file, { model: 'default-int8' }))[f.faceIndex];
        expect(cosine(alone.embedding, set.vectors.subarray(i * 512, (i + 1) * 512))).toBeGreaterThan(1 - 1e-6);
      }
      expect(new Set(set.faces.map((f) => f.file)).size).toBe(files.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
