import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { embedImages } from './embed-images.js';
import { EmbedError } from './errors.js';
import { defaultModelPath, embedderId, missingModelMessage, modelHash } from './models.js';
import { embedFace } from './pipeline.js';
import { FaceStore } from './store.js';
import { dataDir, hasData, hasDist } from './test-data.js';

describe.skipIf(!hasData)('custom embedding models', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'faceclust-models-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const face = path.join(dataDir, 'lfw-dev/George_W_Bush/George_W_Bush_0002.jpg');
  const custom = path.join(dir, 'my-arcface.onnx');
  copyFileSync(defaultModelPath('feature'), custom);
  const wrong = path.join(dir, 'not-an-embedder.onnx');
  copyFileSync(defaultModelPath('detect'), wrong);

  it('the default model id is its name and content hash', () => {
    expect(embedderId()).toBe(`faceplugin-fr-feature@sha256:${modelHash(defaultModelPath('feature')).slice(0, 16)}`);
    expect(embedderId('default')).toBe(embedderId());
    expect(embedderId()).toBe('faceplugin-fr-feature@sha256:87aacdfe57510db2');
  });

  it('a model named by path is used, identified by its file name and hash, and normalisation applies', async () => {
    const [a] = await embedFace(face);
    const [b] = await embedFace(face, { model: custom });
    expect(b.model).toBe('my-arcface@sha256:87aacdfe57510db2');
    // same weights, same default normalisation; the default embedder runs the same function as the
    // rewritten fr_feature_fp32.onnx, so the embeddings agree to float rounding
    let same = 0;
    for (let i = 0; i < a.embedding.length; i++) same += a.embedding[i] * b.embedding[i];
    expect(same).toBeGreaterThan(1 - 1e-6);
    const [c] = await embedFace(face, { model: custom, modelNormalization: { mean: 127.5, std: 127.5 } });
    let dot = 0;
    for (let i = 0; i < a.embedding.length; i++) dot += a.embedding[i] * c.embedding[i];
    expect(dot).toBeLessThan(1 - 1e-6); // the normalisation reached the model...
    expect(dot).toBeGreaterThan(0.95); // ...and barely matters for this one
  });

  it('BAD CALL – a model with the wrong input shape names the file and the shape expected', async () => {
    const err = await embedFace(face, { model: wrong }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbedError);
    expect((err as EmbedError).code).toBe('ERR_MODEL_SHAPE');
    expect((err as Error).message).toBe(
      `Embedding model ${wrong} has input shape [1, 3, 240, 320] (1 input(s)); expected one input of shape [1, 3, 112, 112] (an ArcFace-style embedder)`,
    );
  });

  it.skipIf(!hasDist)('BAD CALL – embedImages with the wrong-shape model throws the same error and records nothing', async () => {
    const storePath = path.join(dir, 'wrong.sqlite');
    const events: unknown[] = [];
    const run = async () => {
      for await (const ev of embedImages([face], { storePath, model: wrong, threads: 1 })) events.push(ev);
    };
    await expect(run()).rejects.toThrow(/has input shape \[1, 3, 240, 320\].*expected one input of shape \[1, 3, 112, 112\]/);
    expect(events).toEqual([]);
    const store = FaceStore.open(storePath);
    expect(store.listImages()).toEqual([]);
    store.close();
  });

  it('BAD CALL – a missing model file or a bad model option', async () => {
    await expect(embedFace(face, { model: path.join(dir, 'nope.onnx') })).rejects.toThrow(`Embedding model file not found for model: ${path.join(dir, 'nope.onnx')}`);
    await expect(embedFace(face, { model: 42 as never })).rejects.toThrow(
      new TypeError("Expected 'default', 'default-int8' or a path to an .onnx file for model but received 42 of type number"),
    );
    await expect(embedFace(face, { modelNormalization: { mean: 0, std: 0 } })).rejects.toThrow(
      new RangeError('Expected a positive number for modelNormalization.std but received 0'),
    );
  });
});

// The worker's order (flusher looked up, sessions created, then flushed): onnxruntime resets the mode on the
// thread that creates a process's first session, so flushing before loading would not last.
describe.skipIf(!hasDist)('denormal flushing on an inference thread', () => {
  it('is in effect after the sessions load, and subnormal results become zero', async () => {
    const { Worker } = await import('node:worker_threads');
    const models = new URL('../dist/models.js', import.meta.url).href;
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.models).then(async ({ denormalFlusher, loadSessions }) => {
        const flush = await denormalFlusher();
        await loadSessions(undefined, undefined, flush !== undefined);
        flush?.();
        parentPort.postMessage({ available: flush !== undefined, quotient: Number(workerData.smallestNormal) / 4 });
      });`;
    const r = await new Promise<{ available: boolean; quotient: number }>((resolve, reject) => {
      const worker = new Worker(code, { eval: true, workerData: { models, smallestNormal: '2.2250738585072014e-308' } });
      worker.once('message', (m) => {
        resolve(m);
        void worker.terminate();
      });
      worker.once('error', reject);
    });
    // in this workspace @faceclust/core-native is built, so the flusher must be found and work
    expect(r.available).toBe(true);
    expect(r.quotient).toBe(0);
    expect(Number('2.2250738585072014e-308') / 4).toBeGreaterThan(0); // not this thread
  });
});

describe('a missing default model says what to run where the package is installed', () => {
  const fetch = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../scripts/fetch-models.mjs');
  it('no models folder at all: the install script never ran (blocked), with the approve and rebuild commands', () => {
    const msg = missingModelMessage('fr_feature.onnx', '/nowhere/models', undefined);
    expect(msg).toContain('Model fr_feature.onnx not found in /nowhere/models: the install script of @faceclust/embed');
    expect(msg).toContain('`pnpm approve-builds` then `pnpm rebuild @faceclust/embed`, or `npm rebuild @faceclust/embed` (if allowScripts denies it, first `npm install-scripts approve @faceclust/embed`)');
    expect(msg).toContain(`\`node ${JSON.stringify(fetch)}\``);
    expect(msg).not.toMatch(/packages\/embed`|in packages\/embed/);
  });

  it('a models folder with a file missing, and FACECLUST_MODELS_DIR pointing at an empty folder', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'faceclust-models-'));
    try {
      expect(missingModelMessage('fr_detect.onnx', dir, undefined)).toBe(
        `Model fr_detect.onnx not found in ${dir}: fetch them again (from the npm registry, checksummed) with \`node ${JSON.stringify(fetch)}\`, or \`npm rebuild @faceclust/embed\``,
      );
      expect(missingModelMessage('fr_detect.onnx', dir, dir)).toMatch(/\(FACECLUST_MODELS_DIR\): put fr_detect\.onnx, fr_landmark\.onnx, fr_feature\.onnx there .*--dir .*, or unset FACECLUST_MODELS_DIR$/);
      // a folder with the npm models but not the embedders built from them (filled before they existed)
      writeFileSync(path.join(dir, 'fr_feature.onnx'), '');
      expect(missingModelMessage('fr_feature_fp32.onnx', dir, dir)).toBe(
        `Model fr_feature_fp32.onnx not found in ${dir}: it is built from fr_feature.onnx, offline, by \`node ${JSON.stringify(fetch)} --if-missing --dir ${JSON.stringify(dir)}\``,
      );
      writeFileSync(path.join(dir, 'fr_detect.onnx'), '');
      expect(missingModelMessage('fr_detect_any.onnx', dir, dir)).toBe(
        `Model fr_detect_any.onnx not found in ${dir}: it is built from fr_detect.onnx, offline, by \`node ${JSON.stringify(fetch)} --if-missing --dir ${JSON.stringify(dir)}\``,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
