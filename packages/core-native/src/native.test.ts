import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { addonPaths, loadNative, NativeLoadError, tryLoadNative, tryLoadNativeFrom } from './native.js';

const here = path.dirname(fileURLToPath(import.meta.url));

// Runs a snippet in a fresh process (environment variables are read once, when the addon loads). Node 20
// cannot import .ts, so the child uses the built loader (dist/, which `build` makes before `test`).
function child(code: string, env: Record<string, string>) {
  const script = `import(${JSON.stringify(path.join(here, '..', 'dist', 'native.js'))}).then(async (m) => { ${code} })`;
  const r = spawnSync(process.execPath, ['-e', script], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { out: r.stdout.trim(), err: r.stderr.trim(), status: r.status };
}

describe('loader', () => {
  it('loads once and caches', () => {
    expect(loadNative()).toBe(loadNative());
    expect(tryLoadNative().binding).toBe(loadNative());
    expect(addonPaths[0]).toMatch(/build[\\/]Release[\\/]faceclust_core\.node$/);
  });

  it('capabilities() reports compiled, supported and active paths and CPU features', () => {
    const caps = loadNative().capabilities();
    expect(caps.compiled).toContain('scalar');
    expect(caps.supported).toContain('scalar');
    for (const isa of caps.supported) expect(caps.compiled).toContain(isa);
    expect(caps.supported).toContain(caps.active);
    // the most capable automatic path; avx512bf16 is opt-in (FACECLUST_SIMD / setIsa)
    expect(caps.active).toBe(caps.supported.filter((i) => i !== 'avx512bf16').at(-1));
    expect(caps.napiVersion).toBe(8);
    expect(caps.hardwareThreads).toBeGreaterThanOrEqual(1);
    for (const v of Object.values(caps.features)) expect(typeof v).toBe('boolean');
    if (process.arch === 'x64') {
      expect(caps.compiled).toEqual(['scalar', 'avx2', 'avx512', 'avx512bf16', 'amx']);
      expect(caps.supported.includes('amx')).toBe(caps.supported.includes('avx512') && caps.features.amxbf16 && caps.features.amxtile);
      expect(caps.supported.includes('avx512bf16')).toBe(caps.supported.includes('avx512') && caps.features.avx512bf16);
      expect('avx512f' in caps.features && 'avx512bf16' in caps.features && 'avx2' in caps.features).toBe(true);
      expect(caps.supported.includes('avx512')).toBe(caps.features.avx512f && caps.features.avx512bw && caps.features.avx512vl);
    }
  });

  it('setIsa switches the active path; BAD CALL - unknown or unsupported isa', () => {
    const native = loadNative();
    const initial = native.capabilities().active;
    try {
      native.setIsa('scalar');
      expect(native.capabilities().active).toBe('scalar');
      expect(() => native.setIsa('sse9' as never)).toThrow(
        expect.objectContaining({ name: 'RangeError', code: 'ERR_FACECLUST_ISA', message: expect.stringMatching(/expected one of scalar.* but received 'sse9'/) }),
      );
      const unsupported = (['avx2', 'avx512', 'avx512bf16', 'amx', 'neon'] as const).find((i) => !native.capabilities().supported.includes(i));
      if (unsupported) expect(() => native.setIsa(unsupported)).toThrow(expect.objectContaining({ code: 'ERR_FACECLUST_ISA' }));
    } finally {
      native.setIsa(initial);
    }
  });

  it('capabilities().hnsw: avx512bf16 under an automatic path without bf16 dot products on a CPU with vdpbf16ps, else the active path', () => {
    // chosen automatically: a fresh process (setIsa here, even back to the same path, counts as asked for)
    const auto = child('const c = m.loadNative().capabilities(); console.log(JSON.stringify(c))', { FACECLUST_SIMD: '' });
    const caps = JSON.parse(auto.out) as { active: string; hnsw: string; supported: string[] };
    const bf16 = (isa: string) => isa === 'avx512bf16' || isa === 'amx';
    expect(caps.hnsw).toBe(!bf16(caps.active) && caps.supported.includes('avx512bf16') ? 'avx512bf16' : caps.active);
    const native = loadNative();
    const initial = native.capabilities();
    try {
      // a path asked for is the path hnsw runs: each ISA stays testable on its own
      for (const isa of initial.supported) {
        native.setIsa(isa);
        expect(native.capabilities().hnsw).toBe(isa);
      }
    } finally {
      native.setIsa(initial.active);
    }
    const forced = child('console.log(m.loadNative().capabilities().hnsw)', { FACECLUST_SIMD: 'scalar' });
    expect(forced.out).toBe('scalar');
  });

  it('FACECLUST_SIMD forces a path; an unusable value makes loading fail with the paths tried and the fix', () => {
    expect(existsSync(path.join(here, '..', 'dist', 'native.js')), 'run the build first').toBe(true);
    const forced = child('console.log(m.loadNative().capabilities().active)', { FACECLUST_SIMD: 'scalar' });
    expect(forced.out).toBe('scalar');
    const bad = child('try { m.loadNative(); } catch (e) { console.log(e.code + "\\n" + e.message); }', { FACECLUST_SIMD: 'mmx' });
    expect(bad.out).toMatch(/^ERR_FACECLUST_NATIVE_LOAD/);
    expect(bad.out).toMatch(/FACECLUST_SIMD: expected one of scalar.* but received 'mmx'/);
    expect(bad.out).toContain(addonPaths[0]);
    expect(bad.out).toContain('Fix: unset FACECLUST_SIMD or set it to a path this CPU supports.');
    const soft = child('const r = m.tryLoadNative(); console.log(String(r.binding) + " " + (r.error instanceof Error))', { FACECLUST_SIMD: 'mmx' });
    expect(soft.out).toBe('undefined true');
  });
});

describe('loader without a built addon (a temporary package folder)', () => {
  const folders: string[] = [];
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  /** A package folder with no addon; `status` is written as build/install-status.json when given. */
  function packageFolder(status?: object, sub = ''): string {
    const base = mkdtempSync(path.join(tmpdir(), 'faceclust-loader-'));
    folders.push(base);
    const root = path.join(base, sub);
    mkdirSync(path.join(root, 'build'), { recursive: true });
    if (status) writeFileSync(path.join(root, 'build', 'install-status.json'), JSON.stringify(status));
    return root;
  }

  it('a recorded failed install: its reason and fix in the message and as fields', () => {
    const status = {
      built: false,
      reason: 'cmake was not found on PATH',
      fix: 'apt-get install cmake g++, then npm rebuild @faceclust/core-native',
      rebuild: 'npm rebuild @faceclust/core-native',
      when: '2026-12-01T10:00:00.000Z',
    };
    const root = packageFolder(status);
    const { binding, error } = tryLoadNativeFrom(root);
    expect(binding).toBeUndefined();
    expect(error).toBeInstanceOf(NativeLoadError);
    expect(error).toMatchObject({
      code: 'ERR_FACECLUST_NATIVE_LOAD',
      reason: '@faceclust/core-native was not built when it was installed: cmake was not found on PATH',
      fix: 'apt-get install cmake g++, then npm rebuild @faceclust/core-native',
      installStatus: status,
    });
    const lines = error!.message.split('\n');
    expect(lines[0]).toBe(
      '@faceclust/core-native was not built when it was installed: cmake was not found on PATH. ' +
        'Fix: apt-get install cmake g++, then npm rebuild @faceclust/core-native.',
    );
    expect(lines[1]).toBe('Tried:');
    expect(lines[2]).toBe(`  ${path.join(root, 'build', 'Release', 'faceclust_core.node')}: not found`);
    expect(lines[3]).toBe(`  ${path.join(root, 'build', 'Debug', 'faceclust_core.node')}: not found`);
    expect(lines[4]).toContain(path.join(root, 'build', 'install-status.json'));
    expect(lines).toHaveLength(5);
    writeFileSync(path.join(root, 'build', 'install.log'), 'g++: internal compiler error');
    expect(tryLoadNativeFrom(root).error!.message.split('\n')[5]).toBe(`Build output: ${path.join(root, 'build', 'install.log')}`);
    expect(error!.message).not.toContain('pnpm --filter');
  });

  it('no install record: the install script was blocked; names the approve and rebuild commands of pnpm and npm', () => {
    const root = packageFolder();
    const { error } = tryLoadNativeFrom(root);
    expect(error).toMatchObject({
      code: 'ERR_FACECLUST_NATIVE_LOAD',
      installStatus: null,
      reason:
        '@faceclust/core-native was never built: its install script did not run ' +
        '(pnpm 10 runs dependency install scripts only once approved; npm skips them with ignore-scripts or a denial in allowScripts)',
      fix:
        'with pnpm: pnpm approve-builds, then pnpm rebuild @faceclust/core-native; ' +
        'with npm: npm rebuild @faceclust/core-native (if allowScripts denies it, first npm install-scripts approve @faceclust/core-native); ' +
        'both need cmake and a C++17 compiler',
    });
    expect(error!.message).toContain(`Install record: none (${path.join(root, 'build', 'install-status.json')} does not exist)`);
    expect(error!.message).not.toContain('pnpm --filter');
  });

  it('a successful install whose addon has gone: rebuild with the recorded package manager', () => {
    const root = packageFolder({ built: true, rebuild: 'pnpm rebuild @faceclust/core-native', when: '2026-12-01T10:00:00.000Z' });
    expect(tryLoadNativeFrom(root).error).toMatchObject({
      reason: "@faceclust/core-native's native addon is missing although it was built (2026-12-01T10:00:00.000Z)",
      fix: 'rebuild it: pnpm rebuild @faceclust/core-native',
    });
  });

  it('an addon file that is not a loadable library: the loader error is the reason and the cause', () => {
    const root = packageFolder({ built: true });
    mkdirSync(path.join(root, 'build', 'Release'));
    writeFileSync(path.join(root, 'build', 'Release', 'faceclust_core.node'), 'not an ELF file');
    const { error } = tryLoadNativeFrom(root);
    expect(error!.reason).toMatch(/^@faceclust\/core-native's native addon failed to load: .+/);
    expect(error!.fix).toBe('rebuild it: npm rebuild @faceclust/core-native');
    expect(error!.cause).toBeInstanceOf(Error);
    expect(error!.tried[0]).not.toMatch(/not found$/);
  });

  it('inside a faceclust checkout the repository command follows as a second hint', () => {
    const root = packageFolder(undefined, path.join('packages', 'core-native'));
    writeFileSync(path.join(root, '..', '..', 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n');
    expect(tryLoadNativeFrom(root).error!.fix).toMatch(
      /^with pnpm: pnpm approve-builds, .*; in a faceclust checkout: pnpm --filter @faceclust\/core-native build$/,
    );
  });
});
