/**
 * The packages as npm users get them: `pnpm pack` in each package folder, then `npm install` of the
 * tarballs into empty folders (dependencies come from the npm registry, the only network here):
 *   (a) all four, then `npx faceclust run` on real photos;
 *   (b) @faceclust/cluster alone: the pure-TypeScript backend, and a warning that says why;
 *   (c) @faceclust/cluster + @faceclust/core-native with no C++ toolchain on PATH: the install succeeds
 *       and the fallback warning carries the reason and the fix.
 * In each, `tsc --strict` on a file importing the packages passes. The README's "Installing the packages
 * on their own" describes what this test does.
 */
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const photos = path.resolve(repo, '../shared/data/photos-small');
const hasPhotos = fs.existsSync(photos);
if (!hasPhotos) console.warn(`npm-install tests: SKIPPING \`faceclust run\` on photos: no face data at ${photos}`);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
/** The @types/node major this workspace uses, from the registry. */
const TYPES_NODE = `@types/node@^${JSON.parse(fs.readFileSync(createRequire(import.meta.url).resolve('@types/node/package.json'), 'utf8')).version.split('.')[0]}`;

const work = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'faceclust-npm-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const PACKAGES = { 'core-native': '@faceclust/core-native', cluster: '@faceclust/cluster', embed: '@faceclust/embed', cli: 'faceclust' } as const;
type Dir = keyof typeof PACKAGES;
const tarballs = {} as Record<Dir, string>;

/** npm's environment: no inherited pnpm/npm_config settings of the workspace run, onnxruntime's CUDA download off. */
function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|pnpm_|PNPM_)/i.test(k)) env[k] = v;
  return { ...env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false', ...extra };
}

function run(cmd: string, args: string[], cwd: string, env = npmEnv()): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
}

/**
 * An empty project with `package.json` (ESM), the tarballs installed by npm, with the project's own
 * @types/node as a TypeScript user has it.
 */
function install(name: string, dirs: Dir[], env = npmEnv()): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `try-${name}`, version: '1.0.0', private: true, type: 'module' }));
  const r = run('npm', ['install', ...dirs.map((d) => tarballs[d]), TYPES_NODE], dir, env);
  expect(r.status, `npm install in ${dir}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return dir;
}

/** `tsc --strict` (this workspace's TypeScript) on one file importing `modules`. */
function typecheck(dir: string, modules: string[]): SpawnSyncReturns<string> {
  const file = path.join(dir, 'check.ts');
  fs.writeFileSync(file, modules.map((m, i) => `import * as m${i} from '${m}';\nconsole.log(Object.keys(m${i}).length);`).join('\n') + '\n');
  return run(process.execPath, [tsc, '--strict', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', file], dir);
}

/** A PATH with node and npm only: no cmake, no C++ compiler (as on a machine without a toolchain). */
function pathWithoutToolchain(): string {
  const bin = path.join(work, 'bin-no-toolchain');
  fs.mkdirSync(bin, { recursive: true });
  for (const tool of ['node', 'npm', 'npx', 'sh']) {
    const found = execFileSync('which', [tool], { encoding: 'utf8' }).trim();
    fs.symlinkSync(fs.realpathSync(found), path.join(bin, tool));
  }
  for (const tool of ['cmake', 'c++', 'g++', 'gcc', 'clang++', 'make']) expect(fs.existsSync(path.join(bin, tool))).toBe(false);
  return bin;
}

const CLUSTER_DEMO = `
import { chineseWhispers } from '@faceclust/cluster';
const v = new Float32Array([1, 0, 0.99, 0.14, 0, 1, 0.14, 0.99]);
const r = await chineseWhispers(v, 2, { threshold: 0.5 });
console.log(JSON.stringify({ labels: Array.from(r.labels), backend: r.backend }));
`;

beforeAll(() => {
  const packs = path.join(work, 'tarballs');
  fs.mkdirSync(packs);
  for (const dir of Object.keys(PACKAGES) as Dir[]) {
    const out = execFileSync('pnpm', ['pack', '--pack-destination', packs], { cwd: path.join(repo, 'packages', dir), encoding: 'utf8', env: npmEnv() });
    tarballs[dir] = path.join(packs, out.trim().split('\n').filter((l) => l.endsWith('.tgz')).pop()!.split('/').pop()!);
    expect(fs.existsSync(tarballs[dir]), out).toBe(true);
  }
});

describe('tarball contents', () => {
  it('ship what a user runs: no source maps to unshipped sources, no development scripts; a LICENSE and repository links in each', () => {
    for (const dir of Object.keys(PACKAGES) as Dir[]) {
      const files = execFileSync('tar', ['-tzf', tarballs[dir]], { encoding: 'utf8' }).trim().split('\n');
      expect(files.filter((f) => f.endsWith('.map')), dir).toEqual([]);
      expect(files, dir).toContain('package/LICENSE');
      const scripts = files.filter((f) => f.startsWith('package/scripts/'));
      // embed's install fetches the models and builds the derived ones (feature-models.mjs, detector-models.mjs, onnx-pb.mjs)
      const installScripts = ['fetch-models.mjs', 'feature-models.mjs', 'detector-models.mjs', 'onnx-pb.mjs', 'build-native.mjs'].map((f) => `package/scripts/${f}`);
      expect(scripts.filter((f) => !installScripts.includes(f)), dir).toEqual([]);
      const pkg = JSON.parse(execFileSync('tar', ['-xzOf', tarballs[dir], 'package/package.json'], { encoding: 'utf8' }));
      expect(pkg.repository?.url, dir).toMatch(/^git\+https:\/\//);
      expect(pkg.bugs?.url, dir).toBeTruthy();
      expect(pkg.homepage, dir).toBeTruthy();
      expect(pkg.engines.node, dir).toBe('^20.19.0 || >=22.12.0');
      // nothing of ours is ever looked up on the public registry by an open range
      for (const deps of [pkg.dependencies, pkg.optionalDependencies, pkg.peerDependencies]) {
        for (const [name, range] of Object.entries(deps ?? {})) if (name === 'faceclust' || name.startsWith('@faceclust/')) expect(range, `${dir}: ${name}`).toMatch(/^\d+\.\d+\.\d+$/);
      }
      expect(Object.keys(pkg.optionalDependencies ?? {}).filter((n) => n.startsWith('@faceclust/')), dir).toEqual([]);
    }
  });
});

describe('(a) all four packages', () => {
  let dir: string;
  beforeAll(() => {
    dir = install('all', ['core-native', 'cluster', 'embed', 'cli']);
  });

  it('the native backend loads, and every package\'s types pass tsc --strict', () => {
    const r = run(process.execPath, ['--input-type=module', '-e', CLUSTER_DEMO], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ labels: [0, 0, 1, 1], backend: 'native' });
    expect(r.stderr).toBe('');
    const t = typecheck(dir, ['@faceclust/core-native', '@faceclust/cluster', '@faceclust/embed', 'faceclust']);
    expect(t.status, t.stdout + t.stderr).toBe(0);
  });

  it.skipIf(!hasPhotos)('npx faceclust run photos/ finds the 5 people of photos-small', () => {
    fs.cpSync(photos, path.join(dir, 'photos'), { recursive: true });
    const r = run('npx', ['faceclust', 'run', 'photos/', '--threads', '2'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^9 faces in 9 photos → 5 clusters, 0 in no_class/);
    expect(fs.existsSync(path.join(dir, 'faceclust-out/report.html'))).toBe(true);
  });

  it.skipIf(!hasPhotos)('faceclust serve: the review page ships inside the package and is served from it', async () => {
    const files = execFileSync('tar', ['-tzf', tarballs.cli], { encoding: 'utf8' }).trim().split('\n');
    expect(files).toEqual(expect.arrayContaining(['package/dist/serve/assets/app.js', 'package/dist/serve/assets/app.css']));
    expect(files.filter((f) => f.startsWith('package/app/'))).toEqual([]); // the page's sources stay in the repository
    const child = spawn(path.join(dir, 'node_modules', '.bin', 'faceclust'), ['serve', '--no-open'], { cwd: dir, env: npmEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = new URL(await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          buf += d;
          if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
        });
        child.on('exit', (code) => reject(new Error(`faceclust serve exited with ${code}`)));
      }));
      const headers = { 'X-Faceclust-Token': url.searchParams.get('token')! };
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('/assets/app.js');
      const js = await fetch(new URL('/assets/app.js', url), { headers });
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
      const people = (await (await fetch(new URL('/api/people', url), { headers })).json()) as { total: number };
      expect(people.total).toBe(5);
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);

  it('npx faceclust --help | head ends quietly', () => {
    const r = spawnSync('sh', ['-c', 'npx faceclust run --help | head -1'], { cwd: dir, env: npmEnv(), encoding: 'utf8' });
    expect(r.stdout).toMatch(/^Usage: faceclust run/);
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
  });
});

describe('(b) @faceclust/cluster alone', () => {
  it('installs without the native package, clusters with the pure-TypeScript backend and says why in one line', () => {
    const dir = install('cluster-alone', ['cluster']);
    expect(fs.existsSync(path.join(dir, 'node_modules/@faceclust/core-native'))).toBe(false);
    const r = run(process.execPath, ['--input-type=module', '-e', CLUSTER_DEMO], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ labels: [0, 0, 1, 1], backend: 'ts' });
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/@faceclust\/core-native is not installed.*npm install @faceclust\/core-native/);
    const t = typecheck(dir, ['@faceclust/cluster']);
    expect(t.status, t.stdout + t.stderr).toBe(0);
  });
});

describe('(c) @faceclust/cluster + @faceclust/core-native with no C++ toolchain', () => {
  it('the install succeeds, and the fallback warning carries the reason and the command that fixes it', () => {
    const env = npmEnv({ PATH: pathWithoutToolchain() });
    const dir = install('no-toolchain', ['core-native', 'cluster'], env);
    const r = run(process.execPath, ['--input-type=module', '-e', CLUSTER_DEMO], dir, env);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).backend).toBe('ts');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/was not built when it was installed: cmake[^.]* not found on PATH/);
    expect(r.stderr).toMatch(/npm rebuild @faceclust\/core-native/);
    expect(r.stderr).not.toMatch(/Tried:\)?$/m);
    const debug = run(process.execPath, ['--input-type=module', '-e', CLUSTER_DEMO], dir, { ...env, FACECLUST_DEBUG: '1' });
    expect(debug.stderr.trim().split('\n').length).toBeGreaterThan(1);
  });
});
