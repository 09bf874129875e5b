/**
 * End to end: the real `faceclust` command (dist/bin.js, as built by tsc) on ../shared/data, in folders
 * whose names have spaces and non-ASCII characters. One embedding pass per describe, many clusterings.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { evaluate } from '@faceclust/cluster';
import { FaceStore } from '@faceclust/embed';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { clusterFolderName, folderTag } from './reports/folders.js';
import { binJs, dataDir, hasBin, hasData, listFiles, logBlocks, readXlsx, repoRoot, runCli, storeFaces, scratchDir, type CliRun } from './test-helpers.js';

const e2e = describe.skipIf(!hasData || !hasBin);
const work = scratchDir;
function newestXlsx(out: string): string {
  return path.join(out, fs.readdirSync(out).filter((f) => f.endsWith('.xlsx')).sort().at(-1)!);
}

e2e('faceclust run / cluster on photos-small', () => {
  let input: string;
  let out: string;
  let first: CliRun;
  beforeAll(async () => {
    const dir = work();
    input = path.join(dir, 'фото party');
    fs.cpSync(path.join(dataDir, 'photos-small'), input, { recursive: true });
    out = path.join(dir, 'out ü');
    first = await runCli(['run', input, '--out', out, '--saveas', '--threads', '2']);
  }, 240_000);

  it('runs with no method flags, prints a summary and writes log, xlsx, report and folders', async () => {
    expect(first.stderr).not.toMatch(/Error/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^\d+ faces in 9 photos → \d+ clusters?, 0 in no_class/);
    expect(logBlocks(out)).toBe(1); // one block per call, embedding included
    const faces = storeFaces(out);
    expect(faces.length).toBeGreaterThanOrEqual(9);
    const x = await readXlsx(path.join(out, 'clusters-001-cw-t1.xlsx'));
    expect(x.sheets).toEqual(['faces', 'clusters', 'parameters', 'skipped', 'no face']);
    // a row per face found, in store order, with the same file, index and box
    expect(x.faces.map((r) => [r.file, r.face])).toEqual(faces.map((f) => [f.file, f.faceIndex]));
    x.faces.forEach((r, i) => r.box.forEach((v, k) => expect(v).toBeCloseTo(faces[i].box[k], 0)));
    expect(x.images).toBeGreaterThanOrEqual(faces.length); // a thumbnail per face (+ one per cluster)
    expect(x.clusters.reduce((s, c) => s + c.size, 0)).toBe(faces.length);
    expect(x.params.get('threshold')).toBe(1);
    expect(fs.existsSync(path.join(out, 'report-001-cw-t1', 'report.html'))).toBe(true);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('report-001-cw-t1/report.html');
  });

  it('--saveas puts every face in exactly one cluster folder, same-named photos from two folders both kept', async () => {
    const faces = storeFaces(out);
    const x = await readXlsx(path.join(out, 'clusters-001-cw-t1.xlsx'));
    const files = listFiles(path.join(out, 'saveas-001-cw-t1'));
    expect(files.length).toBe(faces.length);
    // the first run adopted its clusters as the folder's people: folders are named `0 person 3` …
    const expected = x.faces.map((r, i) => {
      const person = x.faceRows[i]!.person;
      const folder = typeof r.cluster === 'number' ? clusterFolderName(r.cluster, typeof person === 'number' ? { id: person, name: null } : null) : r.cluster;
      return `${folder}/${folderTag(r.file)}_${path.basename(r.file)}_face${r.face}.png`;
    });
    expect(expected.filter((f) => f.startsWith('0 person ')).length).toBeGreaterThan(0);
    expect(files).toEqual([...expected].sort());
    // alex_lacamoire/img1.jpg and rose_leslie/img1.jpg
    expect(files.filter((f) => f.endsWith('_img1.jpg_face0.png')).length).toBe(2);
  });

  it('cluster cw --json prints exactly the result object, matching that call\'s xlsx; log.txt grows by one block', async () => {
    const before = logBlocks(out);
    const r = await runCli(['cluster', 'cw', '--out', out, '--json', '--threshold', '0.9']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual(['call', 'method', 'params', 'clusters', 'noise', 'edges', 'timings', 'people', 'faces']);
    expect(json.call).toBe(2);
    expect(Object.keys(json.timings)).toEqual(['embedMs', 'indexMs', 'graphMs', 'clusterMs', 'reportsMs', 'totalMs']);
    expect(json.timings.totalMs).toBeGreaterThanOrEqual(json.timings.reportsMs);
    expect(json.method).toBe('cw');
    expect(json.params).toMatchObject({ threshold: 0.9, iterations: 30, seed: 0 });
    expect(Object.keys(json.faces[0])).toEqual(['file', 'face', 'box', 'score', 'cluster', 'person', 'name', 'faceId']);
    expect(logBlocks(out)).toBe(before + 1);
    const xlsx = newestXlsx(out);
    expect(path.basename(xlsx)).toBe('clusters-002-cw-t0.9.xlsx');
    const x = await readXlsx(xlsx);
    expect(x.faces.length).toBe(json.faces.length);
    json.faces.forEach((f: { file: string; face: number; box: number[]; score: number; cluster: number }, i: number) => {
      const row = x.faces[i];
      expect([row.file, row.face, row.cluster]).toEqual([f.file, f.face, f.cluster < 0 ? 'no_class' : f.cluster]);
      expect(row.score).toBeCloseTo(f.score, 3);
      f.box.forEach((v, k) => expect(row.box[k]).toBeCloseTo(v, 0));
    });
    expect(json.clusters).toBe(new Set(json.faces.map((f: { cluster: number }) => f.cluster).filter((c: number) => c >= 0)).size);
    // the call's record in the store: the same numbers, and each face's label by its store id
    const calls = await runCli(['calls', '--out', out, '--json']);
    expect(calls.code).toBe(0);
    const rec = (JSON.parse(calls.stdout) as { calls: { call: number; status: string; method: string; params: object; faces: number; clusters: number; noise: number; timings: object }[] }).calls.find((c) => c.call === 2)!;
    // the neighbour path and its reason come from the record's `neighbors`, not from the parameters
    expect(json.params.neighborsReason).toMatch(/^auto: \d+ faces, at most \d+k? edges <= budget \d+k?$/);
    const { neighbors: _used, neighborsReason: _why, ...params } = json.params;
    expect(rec).toMatchObject({ call: 2, status: 'done', method: 'cw', params, faces: json.faces.length, clusters: json.clusters, noise: json.noise, timings: json.timings });
    const store = FaceStore.open(path.join(out, 'faces.sqlite'));
    try {
      const kept = store.getCallLabels(2)!;
      const byId = new Map(storeFaces(out).map((f) => [f.id, `${f.file}#${f.faceIndex}`]));
      const fromStore = new Map(Array.from(kept.faceIds, (id, i) => [byId.get(id), kept.labels[i]]));
      json.faces.forEach((f: { file: string; face: number; cluster: number }) => expect(fromStore.get(`${f.file}#${f.face}`)).toBe(f.cluster));
    } finally {
      store.close();
    }
    const table = await runCli(['calls', '--out', out]);
    expect(table.stdout).toMatch(/^ *call +started +method +parameters +faces +clusters +no_class +status/m);
    expect(table.stdout).toMatch(/^ *2 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +cw +threshold=0\.9 .* done$/m);
  });

  it('cluster dbscan --saveas=photos: noise goes to no_class, whole photos copied once per cluster', async () => {
    const r = await runCli(['cluster', 'dbscan', '--out', out, '--min-samples', '3', '--saveas=photos', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    // photos-small has at most two photos of anyone: with min-samples 3 every face is noise
    expect(json.clusters).toBe(0);
    expect(json.noise).toBe(json.faces.length);
    const dir = fs.readdirSync(out).find((d) => d.startsWith('saveas-003-dbscan'))!;
    expect(dir).toBe('saveas-003-dbscan-e0.925-m3');
    const files = listFiles(path.join(out, dir));
    const photos = new Set(json.faces.map((f: { file: string }) => f.file));
    expect(files.length).toBe(photos.size);
    expect(files.every((f) => f.startsWith('no_class/'))).toBe(true);
    const x = await readXlsx(path.join(out, 'clusters-003-dbscan-e0.925-m3.xlsx'));
    expect(x.faces.every((f) => f.cluster === 'no_class' && f.distance === null)).toBe(true);
  });

  it('faceclust embed on a done folder finds everything in the store and logs one block', async () => {
    const before = logBlocks(out);
    const r = await runCli(['embed', input, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+ faces in 9 photos \(0 embedded now, 9 already in the store, 0 skipped\)/);
    expect(logBlocks(out)).toBe(before + 1);
    expect(fs.readFileSync(path.join(out, 'log.txt'), 'utf8')).toMatch(/=== faceclust embed — /);
  });

  it('draws a progress bar on a terminal only', async () => {
    expect(first.stderr).not.toMatch(/ETA|█/); // piped: no bar
    const script = spawnSync('which', ['script'], { encoding: 'utf8' });
    if (script.status !== 0) return console.warn('progress bar on a terminal: SKIPPED: no `script` command to make a pty');
    const cmd = [process.execPath, binJs, 'run', input, '--out', out, '--quiet'].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    // quiet: no bar; then without --quiet on a pty: a bar with rate and time left
    const quiet = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).not.toMatch(/ETA/);
    const tty = spawnSync('script', ['-qec', cmd.replace(" '--quiet'", ''), '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
    expect(tty.status).toBe(0);
    expect(tty.stdout).toMatch(/embedding .*\| 9\/9 photos \| [\d.]+\/s \| ETA/);
  });

  it('faceclust <folder> is faceclust run <folder>; a word that is neither a command nor a path is still an error', async () => {
    const r = await runCli([input, '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(out, 'log.txt'), 'utf8')).toMatch(/images:\s+9 \(0 embedded now, 9 already in the store, 0 skipped\)/);
    const typo = await runCli(['clustr', '--out', out]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain("unknown command 'clustr'");
  });

  it('a second run resumes from the store: nothing re-embedded, a new call number', async () => {
    const r = await runCli(['run', input, '--out', out, '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const log = fs.readFileSync(path.join(out, 'log.txt'), 'utf8');
    expect(log).toMatch(/images:\s+9 \(0 embedded now, 9 already in the store, 0 skipped\)/);
    const calls = fs.readdirSync(out).filter((f) => /^clusters-\d{3}-cw-t1\.xlsx$/.test(f)).sort();
    expect(calls[0]).toBe('clusters-001-cw-t1.xlsx'); // never overwritten
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(logBlocks(out)).toBe(Number(calls.at(-1)!.slice(9, 12)) + 1); // one block per call, plus the embed call
  });
});

e2e('bad input', () => {
  let bad: string;
  let out: string;
  let res: CliRun;
  const good = () => path.join(dataDir, 'photos-small', 'obama', 'obama.jpg');
  beforeAll(async () => {
    const dir = work();
    bad = path.join(dir, 'bad files ñ');
    fs.mkdirSync(bad);
    fs.copyFileSync(good(), path.join(bad, 'good.jpg'));
    fs.writeFileSync(path.join(bad, 'zero.jpg'), '');
    fs.writeFileSync(path.join(bad, 'text.jpg'), 'this is not an image\n');
    fs.writeFileSync(path.join(bad, 'truncated.jpg'), fs.readFileSync(good()).subarray(0, 3000));
    fs.writeFileSync(path.join(bad, 'corrupt.png'), Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(500, 7)]));
    await sharp({ create: { width: 200, height: 200, channels: 3, background: '#808080' } }).png().toFile(path.join(bad, 'gray no face.png'));
    await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: '#707880' } }).jpeg().toFile(path.join(bad, 'huge.jpg'));
    fs.writeFileSync(path.join(bad, 'notes.txt'), 'not looked at');
    out = path.join(dir, 'out');
    res = await runCli(['run', bad, '--out', out, '--threads', '2']);
  }, 240_000);

  it('skips each bad file with its name and reason, goes on, exits 2', async () => {
    expect(res.code).toBe(2);
    for (const name of ['zero.jpg', 'text.jpg', 'truncated.jpg', 'corrupt.png']) {
      expect(res.stderr).toContain(path.join(bad, name));
    }
    expect(res.stderr).toMatch(/4 files were skipped/);
    expect(res.stderr).not.toContain('gray no face.png'); // read fine, no face: not an error
    const x = await readXlsx(path.join(out, 'clusters-001-cw-t1.xlsx'));
    expect(x.skipped.sort()).toEqual(['corrupt.png', 'text.jpg', 'truncated.jpg', 'zero.jpg'].map((n) => path.join(bad, n)));
    expect(new Set(x.faces.map((f) => path.basename(f.file)))).toEqual(new Set(['good.jpg']));
    expect(fs.readFileSync(path.join(out, 'log.txt'), 'utf8')).toMatch(/no face found:\s+2\n\s+.*gray no face\.png\n\s+.*huge\.jpg\n/); // read fine, listed
    expect(res.stderr).toContain('2 photos with no face found');
  });

  it('a missing folder is a usage error naming it', async () => {
    const r = await runCli(['run', path.join(bad, 'nope'), '--out', path.join(bad, '..', 'o2')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Input not found: ${path.join(bad, 'nope')}`);
  });

  it('a folder with no images is a usage error naming it', async () => {
    const empty = path.join(bad, '..', 'empty');
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, 'readme.txt'), 'x');
    const r = await runCli(['run', empty, '--out', path.join(bad, '..', 'o3')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`No images found in ${empty}`);
  });

  it('an output folder that cannot be created is a usage error naming it', async () => {
    const file = path.join(bad, '..', 'a file');
    fs.writeFileSync(file, 'x');
    const r = await runCli(['run', bad, '--out', path.join(file, 'out')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Output folder ${path.join(file, 'out')} cannot be created or written: ENOTDIR`);
  });

  it('cluster with no store says to embed first', async () => {
    const r = await runCli(['cluster', 'cw', '--out', path.join(bad, '..', 'no store')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No embedding store at .*no store\/faces\.sqlite: run `faceclust embed/);
  });

  it.each([
    [['--threshold', '-1'], /Invalid value for --threshold: expected a finite number > 0 and <= 2 \(the largest euclidean distance between two face embeddings\) but received "-1"/],
    [['--threshold', 'abc'], /--threshold: expected a finite number > 0 and <= 2 \(the largest euclidean distance between two face embeddings\) but received "abc"/],
    [['--iterations', '0'], /--iterations: expected an integer >= 1 but received "0"/],
    [['--metric', 'foo'], /--metric: expected one of 'euclidean', 'sqeuclidean', 'cosine', 'manhattan', 'chebyshev', 'minkowski', 'correlation', 'braycurtis', 'canberra', 'seuclidean', 'mahalanobis' but received "foo"/],
    [['--method', 'kmeans'], /--method: expected one of 'cw', 'dbscan' but received "kmeans"/],
    [['--method', 'dbscan', '--eps', '0'], /--eps: expected a finite number > 0 and <= 2 \(the largest euclidean distance between two face embeddings\) but received "0"/],
    [['--method', 'dbscan', '--min-samples', '1.5'], /--min-samples: expected an integer >= 1 but received "1.5"/],
    [['--eps', '0.5'], /--eps applies to dbscan/],
    [['--backend', 'gpu'], /--backend: expected one of 'auto', 'native', 'ts' but received "gpu"/],
    [['--saveas=bogus'], /--saveas: expected faces or photos but received "bogus"/],
    [['--threads', '0'], /--threads: expected an integer between 1 and 256 but received "0"/],
    [['--frobnicate'], /unknown option '--frobnicate'/],
    [['--model', '/nonexistent/model.onnx'], /\/nonexistent\/model\.onnx/],
    [['--model', path.join(repoRoot, 'packages/embed/models/fr_detect.onnx')], /fr_detect\.onnx has input shape \[1, 3, 240, 320\].*expected one input of shape \[1, 3, 112, 112\]/],
  ])('run %j is an error naming the option and value, exit 1', async (flags, message) => {
    const r = await runCli(['run', bad, '--out', path.join(bad, '..', 'o-opts'), ...flags]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  });

  it('cluster with an unknown method is a usage error', async () => {
    const r = await runCli(['cluster', 'kmeans', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/method: expected one of 'cw', 'dbscan' but received "kmeans"/);
  });

  it('--help lists the commands and examples', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/run \[options\] <inputs\.\.\.>/);
    expect(r.stdout).toMatch(/Examples:/);
    const sub = await runCli(['run', '--help']);
    expect(sub.stdout).toMatch(/--min-samples <n>/);
    expect(sub.stdout).toMatch(/Exit codes: 0 done, 1 usage error, 2/);
  });
});

e2e('Ctrl-C while embedding a slice of lfw-dev, then resume', () => {
  // the first 100 photos of people with 2+ photos: enough to interrupt midway and to score the clusters
  const slice: string[] = [];
  const lfw = path.join(dataDir, 'lfw-dev');
  if (fs.existsSync(lfw)) {
    for (const person of fs.readdirSync(lfw).sort()) {
      const photos = fs.readdirSync(path.join(lfw, person)).filter((f) => f.endsWith('.jpg')).sort();
      if (photos.length < 2) continue;
      for (const p of photos.slice(0, 6)) if (slice.length < 100) slice.push(path.join(lfw, person, p));
    }
  }

  it.skipIf(slice.length < 100)('exits 130 with how to resume, leaves a consistent store, and the rerun finishes the rest', async () => {
    const out = path.join(work(), 'lfw out');
    const args = ['run', ...slice, '--out', out, '--threads', '2'];
    let seen = '';
    let sent = false;
    const first = await runCli([...args, '--verbose'], {
      onStderr(chunk, child) {
        seen += chunk;
        if (!sent && (seen.match(/^embedded /gm)?.length ?? 0) >= 10) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(first.code).toBe(130);
    expect(first.stderr).toMatch(/Interrupted after \d+ of 100 photos; they are saved in .*faces\.sqlite/);
    expect(first.stderr).toMatch(/To resume, run the same command again/);
    expect(fs.readFileSync(path.join(out, 'log.txt'), 'utf8')).toContain('embed (interrupted)');
    expect(fs.readdirSync(out).filter((f) => f.endsWith('.xlsx'))).toEqual([]);
    const store = FaceStore.open(path.join(out, 'faces.sqlite'));
    const kept = store.listImages();
    store.close();
    expect(kept.length).toBeGreaterThanOrEqual(10);
    expect(kept.length).toBeLessThan(100);
    expect(kept.every((r) => r.status === 'done')).toBe(true);

    const second = await runCli([...args, '--json']);
    expect(second.code).toBe(0);
    expect(fs.readFileSync(path.join(out, 'log.txt'), 'utf8')).toMatch(new RegExp(`images:\\s+100 \\(${100 - kept.length} embedded now, ${kept.length} already in the store, 0 skipped\\)`));
    const json = JSON.parse(second.stdout) as { faces: { file: string; face: number; cluster: number }[] };
    // score the main face of each photo (the first; LFW photos are centred on the person) against its folder
    const main = json.faces.filter((f) => f.face === 0);
    expect(main.length).toBe(100);
    const names = new Map<string, number>();
    const truth = Int32Array.from(main, (f) => {
      const person = path.basename(path.dirname(f.file));
      if (!names.has(person)) names.set(person, names.size);
      return names.get(person)!;
    });
    const q = evaluate(Int32Array.from(main, (f) => f.cluster), truth);
    expect(q.pairwise.f).toBeGreaterThan(0.9);
    expect(q.bcubed.f).toBeGreaterThan(0.9);
  }, 300_000);
});

describe.skipIf(!hasBin)('a closed stdout', () => {
  it('ends the process quietly (faceclust run --help | head): no EPIPE stack trace', async () => {
    const child = spawn(process.execPath, [binJs, 'run', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the first write
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
