import type { NativeBinding } from '@faceclust/core-native';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { resolveBackend, setNativeImportForTesting, type NativeClusterBinding } from './backend.js';
import { dbscan } from './dbscan.js';
import { caught } from './test-helpers.js';

afterEach(() => {
  setNativeImportForTesting();
  vi.restoreAllMocks();
});

const loaderError = new Error('Could not load the faceclust native addon. Tried: build/Release/faceclust.node\nRun `pnpm --filter @faceclust/core-native build`.');

describe('backend selection', () => {
  it("core-native's NativeBinding satisfies the structural interface this package calls (checked by typecheck)", () => {
    expectTypeOf<NativeBinding>().toExtend<NativeClusterBinding>();
  });

  it("'ts' never touches the addon", async () => {
    const importer = vi.fn(async () => ({ error: new Error('unused'), fromLoader: false }));
    setNativeImportForTesting(importer);
    expect(await resolveBackend('ts')).toEqual({ name: 'ts' });
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
    expect(write.mock.calls[0][0]).toBe(
      '@faceclust/cluster: native addon unavailable, using the pure-TypeScript backend (Could not load the faceclust native addon. Tried: build/Release/faceclust.node)\n',
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
      "backend 'native' was requested but @faceclust/core-native could not be loaded (Cannot find package). Build it with `pnpm --filter @faceclust/core-native build`, or pass backend: 'ts'.",
    );
  });

  it('uses the binding when it loads', async () => {
    const binding = { radiusGraph: vi.fn(), chineseWhispers: vi.fn(), dbscan: vi.fn(), pairwise: vi.fn() };
    setNativeImportForTesting(async () => ({ binding }));
    expect(await resolveBackend('auto')).toEqual({ name: 'native', native: binding });
    expect(await resolveBackend('native')).toEqual({ name: 'native', native: binding });
  });
});
