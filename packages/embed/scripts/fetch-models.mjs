#!/usr/bin/env node
// Fetches the three default ONNX models from the npm registry tarball of faceplugin-face-recognition-js
// (MIT) into packages/embed/models/, checked against pinned SHA-256 sums. The registry is the only network
// this touches; the package itself is never installed (its dependencies drag in webpack, jest, babel).
// Then builds the models derived from them, offline and deterministic: from fr_feature.onnx the fp32
// embedder as it is run and its int8 quantisation (scripts/feature-models.mjs, calibration/fr_feature-int8.json),
// from fr_detect.onnx the detector for any input size (scripts/detector-models.mjs);
// their SHA-256 sums are pinned too, so a build that gave other bytes fails instead of embedding differently.
//
//   node scripts/fetch-models.mjs [--if-missing] [--dir <models dir>]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAnySizeDetector } from './detector-models.mjs';
import { buildFeatureModels } from './feature-models.mjs';

const SOURCE = 'faceplugin-face-recognition-js@0.0.1';
export const MODELS = {
  'fr_detect.onnx': '6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854',
  'fr_landmark.onnx': 'f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258',
  'fr_feature.onnx': '87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581',
};
/** Built from fr_feature.onnx by buildFeatureModels and from fr_detect.onnx by buildAnySizeDetector: same input, same bytes. */
export const DERIVED_MODELS = {
  'fr_detect_any.onnx': '67a54ae7e0e3e7a75a1dfe3f1aaf09e1a89b85d6cfc42a0cea4fa9ad42d29a82',
  'fr_feature_fp32.onnx': '1778a5f832713d060aa43518f16f720120e81d0f42a15fbab0be376a290b8102',
  'fr_feature_int8.onnx': '81c575505845a4b8c1a869dc472ee05438ba3d698ff2aa818d218e3b2a97a65e',
};
export const CALIBRATION_FILE = fileURLToPath(new URL('../calibration/fr_feature-int8.json', import.meta.url));

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  try {
    main();
  } catch (err) {
    console.error(err.message);
    process.exitCode = 1;
  }
}

function main() {
  const args = process.argv.slice(2);
  const ifMissing = args.includes('--if-missing');
  const dirArg = args.indexOf('--dir');
  const here = path.dirname(fileURLToPath(import.meta.url));
  const modelsDir = path.resolve(dirArg >= 0 ? args[dirArg + 1] : process.env.FACECLUST_MODELS_DIR || path.join(here, '..', 'models'));

  const all = { ...MODELS, ...DERIVED_MODELS };
  const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
  const ok = (name) => {
    const file = path.join(modelsDir, name);
    return existsSync(file) && sha256(file) === all[name];
  };

  /** Writes `bytes` as `name` in modelsDir after checking its pinned SHA-256 (copy then rename, as below). */
  function writeChecked(name, bytes) {
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== DERIVED_MODELS[name]) {
      throw new Error(`fetch-models: building ${name} gave sha256 ${actual}, expected ${DERIVED_MODELS[name]} (scripts/feature-models.mjs, scripts/detector-models.mjs or ${path.basename(CALIBRATION_FILE)} changed without the pinned sum)`);
    }
    const tmp = path.join(modelsDir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, bytes);
    renameSync(tmp, path.join(modelsDir, name));
  }

  function buildDerived() {
    const calibration = JSON.parse(readFileSync(CALIBRATION_FILE, 'utf8'));
    const { fp32, int8 } = buildFeatureModels(readFileSync(path.join(modelsDir, 'fr_feature.onnx')), calibration);
    writeChecked('fr_feature_fp32.onnx', fp32);
    writeChecked('fr_feature_int8.onnx', int8);
    writeChecked('fr_detect_any.onnx', buildAnySizeDetector(readFileSync(path.join(modelsDir, 'fr_detect.onnx'))));
    console.log(`fetch-models: built ${Object.keys(DERIVED_MODELS).join(', ')} -> ${modelsDir}`);
  }

  if (ifMissing && Object.keys(all).every(ok)) return;
  if (ifMissing && Object.keys(MODELS).every(ok)) {
    buildDerived();
    return;
  }

  const work = mkdtempSync(path.join(tmpdir(), 'faceclust-models-'));
  try {
    let tarball;
    try {
      const out = execFileSync('npm', ['pack', SOURCE, '--silent', '--pack-destination', work], {
        cwd: work,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      tarball = path.join(work, out.trim().split('\n').pop());
    } catch (err) {
      const detail = String(err.stderr || err.message).trim().split('\n').slice(-3).join('\n');
      throw new Error(
        `fetch-models: could not download ${SOURCE} from the npm registry (is it reachable? check \`npm config get registry\`).\n${detail}`,
      );
    }
    const members = Object.keys(MODELS).map((name) => `package/model/${name}`);
    execFileSync('tar', ['-xzf', tarball, '-C', work, ...members], { stdio: ['ignore', 'ignore', 'pipe'] });
    mkdirSync(modelsDir, { recursive: true });
    for (const [name, expected] of Object.entries(MODELS)) {
      const extracted = path.join(work, 'package', 'model', name);
      const actual = sha256(extracted);
      if (actual !== expected) {
        throw new Error(`fetch-models: checksum mismatch for ${name} from ${SOURCE}: expected sha256 ${expected}, got ${actual}`);
      }
      // copy then rename, so a half-written model never sits under its final name
      const tmp = path.join(modelsDir, `.${name}.${process.pid}.tmp`);
      copyFileSync(extracted, tmp);
      renameSync(tmp, path.join(modelsDir, name));
    }
    console.log(`fetch-models: ${Object.keys(MODELS).join(', ')} -> ${modelsDir}`);
    buildDerived();
  } catch (err) {
    console.error(err.message);
    process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
    for (const f of existsSync(modelsDir) ? readdirSync(modelsDir) : []) {
      if (f.endsWith(`.${process.pid}.tmp`)) rmSync(path.join(modelsDir, f), { force: true });
    }
  }
}
