import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tryLoadNativeFrom, type NativeBinding } from '@faceclust/core-native';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { resolveBackend, setNativeImportForTesting, type HnswBinding } from './backend.js';
import { dbscan } from './dbscan.js';
import { nativeBackend } from './native-backend.js';
import { caught } from './test-helpers.js';

const folders: string[] = [];
afterEach(() => {
  setNativeImportForTesting();
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** core-native's real loader error for a package folder without an addon (`status`: its install record). */
function loaderErrorFor(status?: object): Error {
  const root = mkdtempSync(path.join(tmpdir(), 'faceclust-backend-'));
  folders.push(root);
  mkdirSync(path.join(root, 'build'));
  if (status) writeFileSync(path.join(root, 'build', 'install-status.json'), JSON.stringify(status));
  const { error } = tryLoadNativeFrom(root);
  if (!error) throw new Error('expected the loader to fail');
  return error;
}

/** What `auto` writes to stderr for `error`, and the backend it chose. */
async function fallback(error: Error, fromLoader: boolean): Promise<{ name: string; stderr: string[] }> {
  setNativeImportForTesting(async () => ({ error, fromLoader }));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const { name } = await resolveBackend('auto');
  return { name, stderr: write.mock.calls.map((call) => String(call[0])) };
}

const loaderError = new Error('Could not load the faceclust native addon. Tried: build/Release/faceclust.node\nRun `pnpm --filter @faceclust/core-native build`.');

describe('backend selection', () => {
  it("the native backend takes core-native's own NativeBinding: no hand-written copy to drift (checked by typecheck)", () => {
    expectTypeOf(nativeBackend).parameter(0).toEqualTypeOf<NativeBinding>();
    expectTypeOf<NativeBinding>().toExtend<HnswBinding>();
  });

  it("'ts' never touches the addon", async () => {
    const importer = vi.fn(async () => ({ error: new Error('unused'), fromLoader: false }));
    setNativeImportForTesting(importer);
    expect((await resolveBackend('ts')).name).toBe('ts');
    expect(importer).not.toHaveBeenCalled();
  });

  it("'auto' falls back to ts with one line on stderr, once per process", async () => {
    setNativeImportForTesting(async () => ({ error: loaderError, fromLoader: true }));
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const first = await dbscan([[0], [1]], 1, { eps: 2, minSamples: 1 });
    const second = await dbscan([[0], [1]], 1, { eps: 2, minSamples: 1, backend: 'auto' });
    expect(first.backend).toBe('ts');
    expect(second.backend).toBe('ts');
    expect(write).toHaveBeenCalledTimes(1);
    // a loader without reason/fix fields: its first line, and the rebuild command
    expect(write.mock.calls[0][0]).toBe(
      '@faceclust/cluster: using the pure-TypeScript backend (~100× slower): @faceclust/core-native could not load its addon: ' +
        'Could not load the faceclust native addon. Tried: build/Release/faceclust.node. ' +
        'Fix: npm rebuild @faceclust/core-native (FACECLUST_DEBUG=1 for details)\n',
    );
  });

  it('the fallback warning is one line with the reason and the fix of a recorded failed install', async () => {
    const error = loaderErrorFor({
      built: false,
      reason: 'cmake was not found on PATH',
      fix: 'apt-get install cmake g++, then npm rebuild @faceclust/core-native',
    });
    const { name, stderr } = await fallback(error, true);
    expect(name).toBe('ts');
    expect(stderr).toEqual([
      '@faceclust/cluster: using the pure-TypeScript backend (~100× slower): ' +
        '@faceclust/core-native was not built when it was installed: cmake was not found on PATH. ' +
        'Fix: apt-get install cmake g++, then npm rebuild @faceclust/core-native (FACECLUST_DEBUG=1 for details)\n',
    ]);
  });

  it('the fallback warning names the approve and rebuild commands when the install script never ran', async () => {
    const { stderr } = await fallback(loaderErrorFor(), true);
    expect(stderr).toHaveLength(1);
    expect(stderr[0].trimEnd()).not.toContain('\n');
    expect(stderr[0]).toContain('@faceclust/core-native was never built: its install script did not run');
    expect(stderr[0]).toContain(
      'Fix: with pnpm: pnpm approve-builds, then pnpm rebuild @faceclust/core-native; ' +
        'with npm: npm rebuild @faceclust/core-native (if allowScripts denies it, first npm install-scripts approve @faceclust/core-native);',
    );
  });

  it('FACECLUST_DEBUG=1 adds the loader\'s whole error: every path tried and the install record', async () => {
    vi.stubEnv('FACECLUST_DEBUG', '1');
    const error = loaderErrorFor({ built: false, reason: 'cmake was not found on PATH', fix: 'apt-get install cmake g++' });
    const { stderr } = await fallback(error, true);
    expect(stderr).toHaveLength(1);
    const lines = stderr[0].trimEnd().split('\n');
    expect(lines[0]).toMatch(/^@faceclust\/cluster: using the pure-TypeScript backend .* \(FACECLUST_DEBUG=1 for details\)$/);
    expect(lines.slice(1).join('\n')).toBe(error.message);
    expect(error.message).toMatch(/Tried:\n {2}.*Release.faceclust_core\.node: not found\n {2}.*Debug.faceclust_core\.node: not found\nInstall record /);
  });

  it('says so when @faceclust/core-native is not installed at all', async () => {
    const notInstalled = Object.assign(new Error("Cannot find package '@faceclust/core-native' imported from /app/node_modules/@faceclust/cluster/dist/backend.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const { stderr } = await fallback(notInstalled, false);
    expect(stderr).toEqual([
      '@faceclust/cluster: using the pure-TypeScript backend (~100× slower): @faceclust/core-native is not installed; npm install @faceclust/core-native for the native backend\n',
    ]);
    setNativeImportForTesting(async () => ({ error: notInstalled, fromLoader: false }));
    expect((await caught(() => resolveBackend('native'))).message).toBe(
      "backend 'native' was requested but @faceclust/core-native is not installed. Fix: npm install @faceclust/core-native, or pass backend: 'ts'.",
    );
  });

  it("explicit 'native' rethrows the loader's own error", async () => {
    setNativeImportForTesting(async () => ({ error: loaderError, fromLoader: true }));
    expect(await caught(() => dbscan([[0]], 1, { eps: 1, backend: 'native' }))).toBe(loaderError);
  });

  it("explicit 'native' explains a package that cannot even be imported", async () => {
    setNativeImportForTesting(async () => ({ error: new Error('Cannot find package'), fromLoader: false }));
    const error = await caught(() => resolveBackend('native'));
    expect(error.message).toBe(
      "backend 'native' was requested but @faceclust/core-native could not be imported: Cannot find package. Fix: npm install @faceclust/core-native, or pass backend: 'ts'.",
    );
  });

  it('uses the binding when it loads: one native backend object over it, the only one with hnsw', async () => {
    const binding = { radiusGraph: vi.fn(), chineseWhispers: vi.fn(), dbscan: vi.fn(async () => Int32Array.of(0)), pairwise: vi.fn(), cancelToken: vi.fn(), cancel: vi.fn() };
    setNativeImportForTesting(async () => ({ binding: binding as unknown as NativeBinding }));
    const backend = await resolveBackend('auto');
    expect(backend.name).toBe('native');
    expect(backend.hnsw).toBe(binding);
    expect(await resolveBackend('native')).toBe(backend);
    const graph = { n: 1, offsets: new Uint32Array(2), indices: new Int32Array(0), distances: new Float32Array(0) };
    expect(Array.from(await backend.dbscan(graph, 1))).toEqual([0]);
    expect(binding.dbscan).toHaveBeenCalledWith(graph.offsets, graph.indices, 1, 1, undefined, undefined, undefined, undefined);
    expect((await resolveBackend('ts')).hnsw).toBeUndefined();
  });
});
