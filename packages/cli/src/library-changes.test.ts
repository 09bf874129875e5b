/**
 * Real photo libraries change: folders are moved, photos deleted, commands re-run inside the photos and two
 * commands run at once. The real `faceclust` command on real photos (../shared/data/photos-small) copied
 * into temporary folders; each case ends with nothing duplicated, nothing overwritten, no stack trace.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from './lock.js';
import { binJs, dataDir, hasBin, hasData, listFiles, logBlocks, readXlsx, runCli, storeFaces, storeImages, scratchDir, type CliRun } from './test-helpers.js';

const e2e = describe.skipIf(!hasData || !hasBin);
/** better-sqlite3 as @faceclust/embed has it: to make a foreign database and an older store by hand. */
const Sqlite = createRequire(createRequire(import.meta.url).resolve('@faceclust/embed'))('better-sqlite3') as new (file: string) => { exec(sql: string): void; close(): void };
const work = scratchDir;
/** photos-small (9 photos of 5 people, name/file.jpg) copied to `dir`. */
function photos(dir: string): string {
  fs.cpSync(path.join(dataDir, 'photos-small'), dir, { recursive: true });
  return dir;
}
function newestXlsx(out: string): string {
  return path.join(out, fs.readdirSync(out).filter((f) => f.endsWith('.xlsx')).sort().at(-1)!);
}
const T = ['--threads', '2'];
function noStack(r: CliRun): void {
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

e2e('the store follows the photos', () => {
  let base: string;
  let input: string;
  let out: string;
  let faces: number;
  beforeAll(async () => {
    base = work();
    input = photos(path.join(base, 'library'));
    out = path.join(base, 'out');
    const r = await runCli(['run', input, '--out', out, ...T]);
    expect(r.code).toBe(0);
    faces = storeFaces(out).length;
  }, 240_000);

  it('a moved folder is recognised by content: nothing re-embedded, faces once, ids kept, paths updated', async () => {
    const ids = storeFaces(out).map((f) => f.id).sort((a, b) => a - b);
    const moved = path.join(base, 'moved library');
    fs.renameSync(input, moved);
    const r = await runCli(['run', moved, '--out', out, ...T]);
    noStack(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${faces} faces in 9 photos`));
    const after = storeFaces(out);
    expect(after.length).toBe(faces);
    expect(after.map((f) => f.id).sort((a, b) => a - b)).toEqual(ids);
    expect(after.every((f) => f.file.startsWith(moved + path.sep))).toBe(true);
    expect(storeImages(out).length).toBe(9);
    expect(fs.readFileSync(path.join(out, 'log.txt'), 'utf8')).toMatch(/0 embedded now, 9 already in the store \(9 of them moved, renamed or copied\)/);
    // clustering the whole store shows each face once (18 faces for 9 photos before)
    const c = await runCli(['cluster', 'cw', '--out', out, '--json']);
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout).faces.length).toBe(faces);
    fs.renameSync(moved, input);
  }, 240_000);

  it('deleted photos leave clustering with a notice; saveas=photos does not crash; prune forgets them', async () => {
    const out2 = path.join(work(), 'out');
    fs.cpSync(out, out2, { recursive: true });
    // run once more so the store's paths are the input's again (the move test put them back)
    expect((await runCli(['run', input, '--out', out2, ...T])).code).toBe(0);
    const gone = ['obama/obama.jpg', 'biden/biden.jpg'].map((p) => path.join(input, p));
    const saved = gone.map((p) => fs.readFileSync(p));
    const goneFaces = storeFaces(out2).filter((f) => gone.includes(f.file)).length;
    gone.forEach((p) => fs.rmSync(p));
    try {
      const c = await runCli(['cluster', 'cw', '--out', out2, '--saveas=photos', '--json']);
      noStack(c);
      expect(c.code).toBe(0);
      expect(c.stderr).toContain('2 photos embedded earlier are no longer found; their faces are left out — `faceclust prune');
      expect(JSON.parse(c.stdout).faces.length).toBe(faces - goneFaces);
      expect(fs.readFileSync(path.join(out2, 'log.txt'), 'utf8')).toMatch(/no longer found: +2\n/);
      // run on the folder says so too
      const r = await runCli(['run', input, '--out', out2, ...T]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('2 photos embedded earlier are no longer found');
      expect(r.stdout).toMatch(new RegExp(`^${faces - goneFaces} faces in 7 photos`));

      const dry = await runCli(['prune', '--out', out2, '--dry-run']);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/^2 photos no longer found \(dry run: nothing forgotten\)/);
      expect(storeImages(out2).length).toBe(9);
      const p = await runCli(['prune', '--out', out2, '--json']);
      expect(p.code).toBe(0);
      expect(JSON.parse(p.stdout)).toMatchObject({ missing: [...gone].sort(), forgotten: { images: 2, faces: goneFaces } });
      expect(storeImages(out2).length).toBe(7);
      const again = await runCli(['cluster', 'cw', '--out', out2]);
      expect(again.code).toBe(0);
      expect(again.stderr).not.toContain('no longer found');
    } finally {
      gone.forEach((p, i) => fs.writeFileSync(p, saved[i]));
    }
  }, 240_000);

  it('a renamed photo and a copied photo reuse their faces instead of embedding again', async () => {
    const dir = work();
    const lib = photos(path.join(dir, 'lib'));
    const o = path.join(dir, 'out');
    expect((await runCli(['run', lib, '--out', o, ...T])).code).toBe(0);
    const before = storeFaces(o);
    fs.renameSync(path.join(lib, 'rose_leslie/img1.jpg'), path.join(lib, 'rose_leslie/renamed.jpg'));
    fs.copyFileSync(path.join(lib, 'alex_lacamoire/img1.jpg'), path.join(lib, 'alex_lacamoire/copy.jpg'));
    const r = await runCli(['embed', lib, '--out', o, '--json', ...T]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ images: 10, embedded: 0, cached: 10, moved: 2 });
    const after = storeFaces(o);
    const copyFaces = before.filter((f) => f.file === path.join(lib, 'alex_lacamoire/img1.jpg')).length;
    expect(after.length).toBe(before.length + copyFaces);
    expect(after.some((f) => f.file.endsWith('renamed.jpg'))).toBe(true);
    expect(after.some((f) => f.file.endsWith('rose_leslie/img1.jpg'))).toBe(false);
  }, 240_000);
});

e2e('the output folder is never read as input', () => {
  it('`faceclust run .` twice inside the photos: 9 photos both times, the output folder skipped and said once', async () => {
    const lib = photos(path.join(work(), 'photos'));
    const first = await runCli(['run', '.', ...T], { cwd: lib });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/ in 9 photos →/);
    const faces = storeFaces(path.join(lib, 'faceclust-out')).length;
    const second = await runCli(['run', '.', ...T], { cwd: lib });
    noStack(second);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`^${faces} faces in 9 photos →`));
    expect(second.stderr.match(/not searched: .*faceclust-out \(the output folder of this call\)/g)?.length).toBe(1);
    expect(storeImages(path.join(lib, 'faceclust-out')).length).toBe(9);
    // another faceclust output inside the photos (an old --out) is skipped too, by its store
    fs.renameSync(path.join(lib, 'faceclust-out'), path.join(lib, 'old results'));
    const third = await runCli(['run', '.', '--out', path.join(lib, '..', 'elsewhere'), ...T], { cwd: lib });
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/ in 9 photos →/);
    expect(third.stderr).toMatch(/not searched: .*old results \(a faceclust output folder: it holds faces\.sqlite\)/);
  }, 240_000);

  it('symlinked folders are followed once (loops by real path); hidden files are counted and named', async () => {
    const dir = work();
    const lib = path.join(dir, 'lib');
    fs.mkdirSync(lib);
    const real = photos(path.join(dir, 'real photos'));
    fs.symlinkSync(real, path.join(lib, 'link'));
    fs.symlinkSync(real, path.join(lib, 'second link'));
    fs.symlinkSync(lib, path.join(real, 'loop'));
    fs.mkdirSync(path.join(lib, '.hidden'));
    fs.copyFileSync(path.join(real, 'rose_leslie/img1.jpg'), path.join(lib, '.hidden/x.jpg'));
    fs.copyFileSync(path.join(real, 'rose_leslie/img1.jpg'), path.join(lib, '.y.jpg'));
    const o = path.join(dir, 'out');
    const r = await runCli(['run', lib, '--out', o, ...T]);
    noStack(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ in 9 photos →/);
    expect(r.stderr).toContain('1 hidden file and 1 hidden folder skipped');
    const log = fs.readFileSync(path.join(o, 'log.txt'), 'utf8');
    expect(log).toContain(path.join(lib, '.hidden'));
    expect(log).toContain(path.join(lib, '.y.jpg'));
  }, 240_000);
});

e2e('an output folder is faceclust\'s alone', () => {
  let lib: string;
  let out: string;
  beforeAll(async () => {
    const dir = work();
    lib = photos(path.join(dir, 'lib'));
    out = path.join(dir, 'out');
    expect((await runCli(['run', lib, '--out', out, ...T])).code).toBe(0);
  }, 240_000);
  function copyOut(opts: { dotFiles: boolean }): string {
    const o = path.join(work(), 'out copy');
    fs.cpSync(out, o, { recursive: true, filter: (src) => opts.dotFiles || !path.basename(src).startsWith('.') });
    return o;
  }

  it('refuses a non-empty folder that is not a faceclust output, touching nothing in it', async () => {
    const mine = path.join(work(), 'my documents');
    fs.mkdirSync(mine);
    fs.writeFileSync(path.join(mine, 'report.html'), 'my own report');
    const r = await runCli(['run', lib, '--out', mine, ...T]);
    noStack(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Output folder ${mine} is not empty and is not a faceclust output folder (it holds 1 entry: report.html)`);
    expect(fs.readdirSync(mine)).toEqual(['report.html']);
    expect(fs.readFileSync(path.join(mine, 'report.html'), 'utf8')).toBe('my own report');
  });

  it('refuses a foreign faces.sqlite and leaves it byte for byte', async () => {
    const other = path.join(work(), 'other app');
    fs.mkdirSync(other);
    const db = new Sqlite(path.join(other, 'faces.sqlite'));
    db.exec('CREATE TABLE people (name TEXT); INSERT INTO people VALUES (\'ann\')');
    db.close();
    const bytes = fs.readFileSync(path.join(other, 'faces.sqlite'));
    const r = await runCli(['run', lib, '--out', other, ...T]);
    noStack(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/faces\.sqlite is not a faceclust face store \(it holds other tables: people\); it was left untouched: choose another --out/);
    expect(fs.readFileSync(path.join(other, 'faces.sqlite')).equals(bytes)).toBe(true);
    expect(fs.readdirSync(other)).toEqual(['faces.sqlite']);
  });

  it('call numbers come from the store: a copy without dot-files goes on counting, earlier outputs untouched', async () => {
    const o = copyOut({ dotFiles: false });
    const before = new Map(listFiles(o).map((f) => [f, fs.readFileSync(path.join(o, f))]));
    const r = await runCli(['cluster', 'cw', '--out', o]);
    noStack(r);
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(o, 'clusters-002-cw-t1.xlsx'))).toBe(true);
    for (const [f, bytes] of before) if (f !== 'log.txt' && f !== 'report.html' && !f.startsWith('faces.sqlite')) expect(fs.readFileSync(path.join(o, f)).equals(bytes)).toBe(true);
  }, 120_000);

  it('outputs of numbered calls from before the store kept them are never reused', async () => {
    const o = copyOut({ dotFiles: true });
    // a folder made by an older faceclust: call numbers only in file names
    const store = new Sqlite(path.join(o, 'faces.sqlite'));
    store.exec('DELETE FROM calls');
    store.close();
    fs.mkdirSync(path.join(o, 'report-007-cw-t0.9'));
    const r = await runCli(['cluster', 'cw', '--out', o]);
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(o, 'clusters-008-cw-t1.xlsx'))).toBe(true);
  }, 120_000);

  it('an output that cannot be written fails the call with a named error and a failed log block; its partial outputs go', async () => {
    const o = copyOut({ dotFiles: true });
    // a photo that cannot be copied: its path is now a folder
    const photo = path.join(lib, 'obama/obama.jpg');
    const bytes = fs.readFileSync(photo);
    fs.rmSync(photo);
    fs.mkdirSync(photo);
    const blocks = logBlocks(o);
    try {
      const r = await runCli(['cluster', 'cw', '--out', o, '--saveas=photos']);
      noStack(r);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`Could not copy ${photo.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} to .*saveas-002-cw-t1.*: E[A-Z]+`));
      expect(fs.existsSync(path.join(o, 'clusters-002-cw-t1.xlsx'))).toBe(false);
      expect(fs.existsSync(path.join(o, 'report-002-cw-t1'))).toBe(false);
      expect(fs.existsSync(path.join(o, 'saveas-002-cw-t1'))).toBe(false);
      expect(logBlocks(o)).toBe(blocks + 1);
      const log = fs.readFileSync(path.join(o, 'log.txt'), 'utf8');
      expect(log).toMatch(/=== faceclust call 002: chinese whispers \(failed\)[^]*error: +Could not copy /);
      // the next call does not reuse the failed call's number
      expect((await runCli(['cluster', 'cw', '--out', o])).code).toBe(0);
      expect(fs.existsSync(path.join(o, 'clusters-003-cw-t1.xlsx'))).toBe(true);
    } finally {
      fs.rmSync(photo, { recursive: true });
      fs.writeFileSync(photo, bytes);
    }
  }, 120_000);

  it('--saveas keeps each extension: x.jpg and x.png in one folder both land', async () => {
    const dir = work();
    const one = path.join(dir, 'one');
    fs.mkdirSync(one);
    const jpg = path.join(dataDir, 'photos-small/rose_leslie/img1.jpg');
    fs.copyFileSync(jpg, path.join(one, 'IMG_0001.jpg'));
    fs.writeFileSync(path.join(one, 'IMG_0001.png'), await (await import('sharp')).default(jpg).png().toBuffer());
    const o = path.join(dir, 'out');
    const r = await runCli(['run', '--saveas', one, '--out', o, ...T]); // --saveas before the input: the input is not its value
    noStack(r);
    expect(r.code).toBe(0);
    const files = listFiles(path.join(o, 'saveas-001-cw-t1'));
    expect(files.some((f) => /_IMG_0001\.jpg_face0\.png$/.test(f))).toBe(true);
    expect(files.some((f) => /_IMG_0001\.png_face0\.png$/.test(f))).toBe(true);
    const photosRun = await runCli(['cluster', 'cw', '--out', o, '--saveas=photos']);
    expect(photosRun.code).toBe(0);
    expect(listFiles(path.join(o, 'saveas-002-cw-t1')).map((f) => path.basename(f).replace(/^[0-9a-f]{8}_/, '')).sort()).toEqual(['IMG_0001.jpg', 'IMG_0001.png']);
  }, 240_000);
});

e2e('one writer at a time', () => {
  it('a second run on the same output folder exits 1 at once naming the first; the first finishes; photos embedded once', async () => {
    const dir = work();
    const lib = photos(path.join(dir, 'lib'));
    // enough photos that the first run is still embedding when the second starts
    const lfw = path.join(dataDir, 'lfw-dev');
    let copied = 0;
    for (const person of fs.readdirSync(lfw).sort()) {
      if (copied >= 150) break;
      const src = path.join(lfw, person);
      if (!fs.statSync(src).isDirectory()) continue;
      fs.cpSync(src, path.join(lib, 'lfw', person), { recursive: true });
      copied += fs.readdirSync(src).length;
    }
    const o = path.join(dir, 'out');
    let second: Promise<CliRun> | undefined;
    const first = await runCli(['run', lib, '--out', o, '-v', ...T], {
      onStderr: (chunk) => {
        // the first holds the lock once it reports a photo
        if (!second && /embedded |cached /.test(chunk)) second = runCli(['run', lib, '--out', o, ...T]);
      },
    });
    expect(first.code).toBe(0);
    const r = await second!;
    noStack(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${o.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by faceclust \\(pid \\d+, started [0-9T:.-]+Z: faceclust run `));
    expect(storeImages(o).length).toBe(9 + copied);
    expect(fs.existsSync(path.join(o, LOCK_FILE))).toBe(false);
    // a clustering call only reads the store and may run beside a writer: it is not refused
    fs.writeFileSync(path.join(o, LOCK_FILE), JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString(), command: 'test' }));
    const c = await runCli(['cluster', 'cw', '--out', o]);
    expect(c.code).toBe(0);
    fs.rmSync(path.join(o, LOCK_FILE));
  }, 240_000);

  it('a lock left by a process that is gone is taken over', async () => {
    const dir = work();
    const lib = photos(path.join(dir, 'lib'));
    const o = path.join(dir, 'out');
    fs.mkdirSync(o);
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.on('close', resolve));
    fs.writeFileSync(path.join(o, LOCK_FILE), JSON.stringify({ pid: dead.pid, host: os.hostname(), started: '2026-01-01T00:00:00.000Z', command: 'faceclust run killed' }));
    const r = await runCli(['run', lib, '--out', o, ...T]);
    noStack(r);
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(o, LOCK_FILE))).toBe(false);
  }, 240_000);
});

e2e('errors a person can act on', () => {
  it('a damaged faces.sqlite: one message naming it and what to do, exit 1', async () => {
    const dir = work();
    const lib = photos(path.join(dir, 'lib'));
    const o = path.join(dir, 'out');
    fs.mkdirSync(o);
    fs.writeFileSync(path.join(o, 'faces.sqlite'), Buffer.alloc(64 * 1024, 0x5a));
    for (const args of [['run', lib, '--out', o, ...T], ['cluster', 'cw', '--out', o]]) {
      const r = await runCli(args);
      noStack(r);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${path.join(o, 'faces.sqlite')} is damaged`);
      expect(r.stderr).toContain(`Move it away (mv "${path.join(o, 'faces.sqlite')}"`);
      expect(r.stderr).toContain(args[0] === 'run' ? 'the 9 photos under' : 'your photos will be embedded anew');
    }
  }, 120_000);

  it('--out that cannot be created exits 1 within a second (no spin on /proc)', async () => {
    const t0 = Date.now();
    const r = await runCli(['cluster', 'cw', '--out', '/proc/nope/deeper']);
    expect(Date.now() - t0).toBeLessThan(5000);
    noStack(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Output folder \/proc\/nope\/deeper cannot be created or written: E[A-Z]+/);
  });
});

e2e('defaults that fit the metric', () => {
  let out: string;
  let euclid: number[];
  let euclidDbscan: number[];
  const labels = (r: CliRun) => JSON.parse(r.stdout).faces.map((f: { cluster: number }) => f.cluster) as number[];
  beforeAll(async () => {
    const dir = work();
    const lib = path.join(dir, 'lib');
    photos(path.join(lib, 'small'));
    fs.cpSync(path.join(dataDir, 'groups'), path.join(lib, 'groups'), { recursive: true });
    out = path.join(dir, 'out');
    const r = await runCli(['run', lib, '--out', out, '--json', ...T]);
    expect(r.code).toBe(0);
    euclid = labels(r);
    euclidDbscan = labels(await runCli(['cluster', 'dbscan', '--out', out, '--json']));
  }, 240_000);

  it.each(['cosine', 'sqeuclidean'])('%s with its default threshold and eps clusters as euclidean does', async (metric) => {
    const r = await runCli(['cluster', 'cw', '--out', out, '--metric', metric, '--json']);
    expect(r.code).toBe(0);
    expect(labels(r)).toEqual(euclid);
    expect(labels(await runCli(['cluster', 'dbscan', '--out', out, '--metric', metric, '--json']))).toEqual(euclidDbscan);
  });

  it.each(['manhattan', 'chebyshev'])('%s with its default threshold and eps neither merges nor splits everything', async (metric) => {
    for (const method of ['cw', 'dbscan']) {
      const r = await runCli(['cluster', method, '--out', out, '--metric', metric, '--json']);
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.clusters).toBeGreaterThan(1);
      expect(j.clusters).toBeLessThan(j.faces.length);
      expect(r.stderr).not.toMatch(/note: /);
    }
  });

  it('refuses a threshold outside the metric\'s range, naming it', async () => {
    const r = await runCli(['cluster', 'cw', '--out', out, '--metric', 'cosine', '--threshold', '2.5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Invalid value for --threshold: expected a finite number > 0 and <= 2 (the largest cosine distance between two face embeddings) but received "2.5"');
  });

  it('a cluster holding most faces is called out, pointing at tune', async () => {
    // faces of one photo may meet here: the point is the notice, not the same-photo rule (which would keep the group photos apart)
    const r = await runCli(['cluster', 'cw', '--out', out, '--threshold', '1.9', '--allow-same-photo']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/note: cluster 0 holds \d+ of the \d+ faces \(\d+%\): the threshold may be too loose for this metric or these photos; try `faceclust tune --method cw --out /);
  });
});

e2e('command-line papercuts', () => {
  it('one photo with one face: "1 face in 1 photo"', async () => {
    const dir = work();
    const r = await runCli(['run', path.join(dataDir, 'photos-small/rose_leslie/img1.jpg'), '--out', path.join(dir, 'out'), ...T]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^1 face in 1 photo → 1 cluster, 0 in no_class/);
  }, 120_000);

  it('cluster --help does not promise per-photo lines', async () => {
    const r = await runCli(['cluster', '--help']);
    expect(r.stdout).toContain('one line per step');
    expect(r.stdout).not.toContain('while embedding');
  });

  it('the log\'s total of a run includes the embedding time', async () => {
    const dir = work();
    const o = path.join(dir, 'out');
    expect((await runCli(['run', photos(path.join(dir, 'lib')), '--out', o, ...T])).code).toBe(0);
    const timings = /timings: +embed ([\d.]+) (s|ms), .*total ([\d.]+) (s|ms)/.exec(fs.readFileSync(path.join(o, 'log.txt'), 'utf8'))!;
    const sec = (v: string, u: string) => Number(v) / (u === 's' ? 1 : 1000);
    expect(sec(timings[3]!, timings[4]!)).toBeGreaterThanOrEqual(sec(timings[1]!, timings[2]!));
    expect((await readXlsx(newestXlsx(o))).faces.length).toBeGreaterThan(0);
  }, 120_000);
});
