import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addonPaths, loadNative, tryLoadNative } from './native.js';

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

  it('FACECLUST_SIMD forces a path; an unusable value makes loading fail with the paths tried and the fix', () => {
    expect(existsSync(path.join(here, '..', 'dist', 'native.js')), 'run the build first').toBe(true);
    const forced = child('console.log(m.loadNative().capabilities().active)', { FACECLUST_SIMD: 'scalar' });
    expect(forced.out).toBe('scalar');
    const bad = child('try { m.loadNative(); } catch (e) { console.log(e.code + "\\n" + e.message); }', { FACECLUST_SIMD: 'mmx' });
    expect(bad.out).toMatch(/^ERR_FACECLUST_NATIVE_LOAD/);
    expect(bad.out).toMatch(/FACECLUST_SIMD: expected one of scalar.* but received 'mmx'/);
    expect(bad.out).toContain(addonPaths[0]);
    expect(bad.out).toContain('pnpm --filter @faceclust/core-native build');
    const soft = child('const r = m.tryLoadNative(); console.log(String(r.binding) + " " + (r.error instanceof Error))', { FACECLUST_SIMD: 'mmx' });
    expect(soft.out).toBe('undefined true');
  });
});
