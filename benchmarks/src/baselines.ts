/**
 * Baselines from outside the project, measured in the same run on the same data: an fp32 matrix product
 * (numpy → OpenBLAS) and scikit-learn's DBSCAN, each when the machine has them. They are context for the
 * native numbers, never required: a missing Python or package only drops that row.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface BaselineResult {
  name: string;
  python: string;
  ms: number;
  detail: string;
}

const GEMM_SCRIPT = `
import sys, time, json
import numpy as np
n, dim = int(sys.argv[2]), int(sys.argv[3])
a = np.fromfile(sys.argv[1], dtype=np.float32).reshape(n, dim)
a[:256] @ a[:256].T
t = time.perf_counter(); c = a @ a.T; t = time.perf_counter() - t
print(json.dumps({"ms": t * 1000, "detail": "numpy %s, full %dx%dx%d fp32 product; half of it is the n^2*dim/2 products of a symmetric pass" % (np.__version__, n, n, dim)}))
`;

const DBSCAN_SCRIPT = `
import sys, time, json
import numpy as np
from sklearn.cluster import DBSCAN
import sklearn
n, dim, eps, ms = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
a = np.fromfile(sys.argv[1], dtype=np.float32).reshape(n, dim)
t = time.perf_counter(); labels = DBSCAN(eps=eps, min_samples=ms, n_jobs=-1).fit_predict(a); t = time.perf_counter() - t
print(json.dumps({"ms": t * 1000, "detail": "scikit-learn %s DBSCAN(eps=%g, min_samples=%d, n_jobs=-1): %d clusters, %d noise" % (sklearn.__version__, eps, ms, labels.max() + 1, int((labels < 0).sum()))}))
`;

/** OpenBLAS builds misbehave on some CPUs, so the machine pins a core type; that slows a current numpy. */
function benchmarkEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

function runPython(python: string, script: string, args: string[]): { ms: number; detail: string } | string {
  const run = spawnSync(python, ['-c', script, ...args], { env: benchmarkEnv(), encoding: 'utf8', timeout: 30 * 60_000 });
  if (run.status !== 0) return (run.stderr || run.error?.message || 'failed').trim().split('\n').pop() ?? 'failed';
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}');
}

export function measureBaselines(vectors: Float32Array, n: number, dim: number, eps: number, minSamples: number): {
  results: BaselineResult[];
  skipped: string[];
} {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faceclust-bench-'));
  const file = path.join(dir, 'vectors.f32');
  writeFileSync(file, Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength));
  const results: BaselineResult[] = [];
  const skipped: string[] = [];
  try {
    const jobs: [string, string[], string, string[]][] = [
      ['numpy fp32 matmul (OpenBLAS)', ['python3', '/usr/bin/python3'], GEMM_SCRIPT, [file, String(n), String(dim)]],
      ['scikit-learn DBSCAN', ['/usr/bin/python3', 'python3'], DBSCAN_SCRIPT, [file, String(n), String(dim), String(eps), String(minSamples)]],
    ];
    for (const [name, pythons, script, args] of jobs) {
      let lastError = 'no python3';
      let done = false;
      for (const python of pythons) {
        const outcome = runPython(python, script, args);
        if (typeof outcome === 'string') {
          lastError = outcome;
          continue;
        }
        results.push({ name, python, ...outcome });
        done = true;
        break;
      }
      if (!done) skipped.push(`${name}: ${lastError}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { results, skipped };
}
