/** `faceclust serve`'s server against real photos, over real HTTP: the API, its caching and its guard. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { FaceStore } from '@faceclust/embed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireWriteLock } from '../lock.js';
import { DEFAULTS } from '../options.js';
import { listPeople, type PersonEntry } from '../people.js';
import { binJs, dataDir, hasBin, hasData, runCli, scratchDir } from '../test-helpers.js';
import { startServer, type RunningServer } from './server.js';

describe.skipIf(!hasData || !hasBin)('faceclust serve (photos-small)', () => {
  let out: string;
  let server: RunningServer;
  let base: string;
  const auth = () => ({ 'X-Faceclust-Token': server.token });
  const get = (p: string, headers: Record<string, string> = auth()) => fetch(`${base}${p}`, { headers });
  const getJson = async <T = any>(p: string): Promise<T> => {
    const r = await get(p);
    expect(r.status, `${p}: ${r.status}`).toBe(200);
    return (await json(r)) as T;
  };
  const post = (p: string, body: unknown, headers: Record<string, string> = auth()) =>
    fetch(`${base}${p}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const people = (): PersonEntry[] => listPeople(out);
  const json = async (r: Response): Promise<any> => r.json();

  beforeAll(async () => {
    out = scratchDir();
    const run = await runCli(['run', path.join(dataDir, 'photos-small'), '--out', out, '-q', '--threads', '2']);
    expect(run.code, run.stderr).toBe(0);
    expect(people().length).toBeGreaterThanOrEqual(2);
    server = await startServer(out);
    base = `http://127.0.0.1:${server.port}`;
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it('prints a loopback URL carrying the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token).toMatch(/^[\w-]{43}$/);
  });

  it('the people grid: same order and counts as listPeople, representative face, filters', async () => {
    const grid = await getJson<{ total: number; people: { id: number; name: string | null; count: number; face: number | null }[] }>('/api/people?limit=10000');
    const expected = people();
    expect(grid.total).toBe(expected.length);
    expect(grid.people.map((p) => [p.id, p.count])).toEqual(expected.map((p) => [p.id, p.faces.length]));
    // the representative: each person's face with the best detector score (nobody has confirmed faces yet)
    const store = FaceStore.open(path.join(out, 'faces.sqlite'));
    try {
      const best = (p: PersonEntry) => p.faces.map((f) => store.getFace(f.faceId)!).sort((a, b) => b.score - a.score || a.id - b.id)[0]!.id;
      expect(grid.people.map((p) => p.face)).toEqual(expected.map(best));
    } finally {
      store.close();
    }
    const page = await getJson<{ people: { id: number }[] }>('/api/people?offset=1&limit=1');
    expect(page.people.map((p) => p.id)).toEqual([expected[1]!.id]);
    const once = await getJson<{ people: { count: number }[] }>('/api/people?once=1&limit=10000');
    expect(once.people.length).toBe(expected.filter((p) => p.faces.length === 1).length);
    const bad = await get('/api/people?limit=-1');
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatch(/limit/);
  });

  it('inline=N: the first N tiles of a page carry their crops as data: URLs, the store\'s bytes', async () => {
    const grid = await getJson<{ people: { face: number; crop?: string }[] }>('/api/people?limit=3&inline=2');
    expect(grid.people.map((p) => p.crop !== undefined)).toEqual([true, true, false]);
    const crop = async (id: number) => Buffer.from(await (await get(`/api/faces/${id}/crop`)).arrayBuffer());
    for (const p of grid.people.slice(0, 2)) expect(Buffer.from(p.crop!.replace(/^data:image\/png;base64,/, ''), 'base64').equals(await crop(p.face))).toBe(true);
    const p = people()[0]!;
    const page = await getJson<{ faces: { faceId: number; crop?: string }[] }>(`/api/people/${p.id}?limit=2&inline=1`);
    expect(page.faces.map((f) => f.crop !== undefined)).toEqual([true, false]);
    const bad = await get('/api/people?inline=201');
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatch(/inline/);
  });

  it('a person page pages through its faces', async () => {
    const p = people()[0]!;
    expect(p.faces.length).toBeGreaterThanOrEqual(2);
    const first = await getJson(`/api/people/${p.id}?offset=0&limit=1`);
    const second = await getJson(`/api/people/${p.id}?offset=1&limit=1`);
    expect(first.count).toBe(p.faces.length);
    // faces by id (confirmed ones first: none yet), each with its photo, box and score
    const byId = [...p.faces].sort((a, b) => a.faceId - b.faceId);
    expect(first.faces).toMatchObject([{ ...byId[0], confirmed: false }]);
    expect(second.faces).toMatchObject([{ ...byId[1], confirmed: false }]);
    expect(first.faces[0].box).toHaveLength(4);
    expect((await get('/api/people/999999')).status).toBe(404);
  });

  it('crops: the store\'s bytes, an ETag, 304 when unchanged', async () => {
    const face = people()[0]!.faces[0]!.faceId;
    const store = FaceStore.open(path.join(out, 'faces.sqlite'));
    const stored = store.getCrop(face);
    store.close();
    const r = await get(`/api/faces/${face}/crop`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/png');
    expect(r.headers.get('cache-control')).toMatch(/max-age=\d+/);
    expect(Buffer.from(await r.arrayBuffer()).equals(stored)).toBe(true);
    const etag = r.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    const again = await get(`/api/faces/${face}/crop`, { ...auth(), 'If-None-Match': etag });
    expect(again.status).toBe(304);
  });

  it('a photo by face id is the file\'s bytes; every face of it is listed with its person', async () => {
    const f = people()[0]!.faces[0]!;
    const r = await get(`/api/faces/${f.faceId}/photo`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await r.arrayBuffer()).equals(fs.readFileSync(f.file))).toBe(true);
    const photo = await getJson(`/api/photos/${f.faceId}/faces`);
    expect(photo.file).toBe(f.file);
    const personOf = new Map(people().flatMap((p) => p.faces.map((x) => [x.faceId, p.id])));
    const own = photo.faces.find((x: { faceId: number }) => x.faceId === f.faceId);
    expect(own.face).toBe(f.face);
    expect(own.box).toHaveLength(4);
    for (const x of photo.faces) expect(x.person?.id ?? null).toBe(personOf.get(x.faceId) ?? null);
  });

  it('suggestions and corrections are served', async () => {
    const s = await getJson('/api/suggest?limit=3');
    expect(Array.isArray(s.pairs)).toBe(true);
    expect(s.pairs.length).toBeLessThanOrEqual(3);
    expect(Array.isArray((await getJson('/api/corrections')).corrections)).toBe(true);
    expect(await getJson('/api/defaults')).toEqual({ cw: { threshold: DEFAULTS.threshold }, dbscan: { eps: DEFAULTS.eps, minSamples: DEFAULTS.minSamples } });
  });

  describe('the guard', () => {
    it('no token → 401; a wrong one → 401', async () => {
      expect((await fetch(`${base}/api/people`)).status).toBe(401);
      expect((await get('/api/people', { 'X-Faceclust-Token': 'nope' })).status).toBe(401);
      expect((await post('/api/undo', {}, {})).status).toBe(401);
    });

    it('?token= sets an HttpOnly SameSite=Strict cookie that then suffices for GET, but not for POST (403)', async () => {
      const r = await fetch(`${base}/api/corrections?token=${server.token}`);
      expect(r.status).toBe(200);
      const cookie = r.headers.get('set-cookie')!;
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Strict/i);
      const pair = cookie.split(';')[0]!;
      expect((await get('/api/people', { Cookie: pair })).status).toBe(200);
      const p = people()[0]!;
      const refused = await post('/api/name', { person: p.id, name: 'Cookie Only' }, { Cookie: pair });
      expect(refused.status).toBe(403);
      expect(people()[0]!.name).toBe(p.name);
    });

    it('a POST with the token from another Origin → 403, and nothing is stored', async () => {
      const before = (await getJson('/api/corrections')).corrections.length;
      const p = people()[0]!;
      const r = await post('/api/name', { person: p.id, name: 'Evil' }, { ...auth(), Origin: 'http://evil.example' });
      expect(r.status).toBe(403);
      expect((await post('/api/name', { person: p.id, name: 'Evil' }, { ...auth(), 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
      expect((await getJson('/api/corrections')).corrections.length).toBe(before);
    });

    it('paths in the URL never reach the disk: 404', async () => {
      for (const p of [
        '/api/faces/..%2F..%2Fetc%2Fpasswd/photo',
        '/api/faces/%2Fetc%2Fpasswd/photo',
        '/api/faces/1%2F..%2F..%2Fetc%2Fpasswd/photo',
        '/api/faces/..%252F..%252Fetc%252Fpasswd/crop',
        '/api/photos/..%2F..%2Fetc%2Fpasswd/faces',
        '/api/faces/0/photo',
        '/api/faces/1e3/photo',
        '/api/faces/99999999/photo',
        '/etc/passwd',
      ]) expect((await get(p)).status, p).toBe(404);
      // unnormalised dot segments, as a raw client sends them
      const raw = await new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: server.port, path: '/api/faces/../../../../etc/passwd', headers: auth() }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        }).on('error', reject);
      });
      expect(raw).toBe(404);
    });

    it('a correction while another process holds the folder\'s write lock → 409 naming it, and nothing is lost', async () => {
      const p = people()[0]!;
      const release = acquireWriteLock(out, 'faceclust run (a test holding the lock)');
      try {
        const r = await post('/api/name', { person: p.id, name: 'While Busy' });
        expect(r.status).toBe(409);
        expect((await json(r)).error).toMatch(/in use by faceclust .*a test holding the lock/);
      } finally {
        release();
      }
      expect(people()[0]!.name).toBe(p.name);
      expect((await post('/api/name', { person: p.id, name: 'After Busy' })).status).toBe(200);
      expect((await post('/api/undo', {})).status).toBe(200);
    });

    it('the page: HTML with a strict CSP and the token for its POSTs; only its own two assets', async () => {
      const r = await get('/');
      expect(r.status).toBe(200);
      expect(r.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
      expect(r.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
      const html = await r.text();
      expect(html).toContain(`<meta name="faceclust-token" content="${server.token}">`);
      expect(html).not.toMatch(/https?:\/\//); // nothing from the internet
      const js = await get('/assets/app.js');
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
      expect((await js.text()).length).toBeGreaterThan(10_000);
      expect((await get('/assets/app.css')).status).toBe(200);
      for (const bad of ['/assets/other.js', '/assets/..%2Fserver.js', '/assets/%2E%2E%2Findex.js']) expect((await get(bad)).status, bad).toBe(404);
      expect((await fetch(`${base}/`)).status).toBe(401);
    });

    const external = Object.values(os.networkInterfaces()).flat().find((a) => a && !a.internal && a.family === 'IPv4');
    it.skipIf(!external)(`is not reachable on a non-loopback address of this machine (${external?.address ?? 'none: SKIPPED, this machine has no non-loopback IPv4 address'})`, async () => {
      await expect(fetch(`http://${external!.address}:${server.port}/api/people`, { headers: auth(), signal: AbortSignal.timeout(3000) })).rejects.toThrow();
      // the control: bound to every address (--host 0.0.0.0), the same request is answered there
      const open = await startServer(out, { host: '0.0.0.0' });
      try {
        expect((await fetch(`http://${external!.address}:${open.port}/api/people`, { headers: { 'X-Faceclust-Token': open.token }, signal: AbortSignal.timeout(3000) })).status).toBe(200);
      } finally {
        await open.close();
      }
    });
  });

  it('`faceclust serve` prints the URL as its first line, answers, and stops on SIGINT', async () => {
    const child = spawn(process.execPath, [binJs, 'serve', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
      });
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
    const u = new URL(url);
    expect((await fetch(`${u.origin}/api/people`, { headers: { Authorization: `Bearer ${u.searchParams.get('token')}` } })).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  describe('corrections', () => {
    it('POST /api/name: the API, listPeople and `faceclust people --json` show it', async () => {
      const p = people()[0]!;
      const r = await post('/api/name', { person: p.id, name: 'Ana Served' });
      expect(r.status).toBe(200);
      const c = await json(r);
      expect(c.kind).toBe('name');
      expect(c.command).toBe('faceclust serve: POST /api/name');
      expect((await getJson(`/api/people/${p.id}`)).name).toBe('Ana Served');
      expect((await getJson('/api/people?q=ana%20serv')).people.map((x: { id: number }) => x.id)).toEqual([p.id]);
      expect((await getJson('/api/people?unnamed=1&limit=10000')).people.some((x: { id: number }) => x.id === p.id)).toBe(false);
      const cli = await runCli(['people', '--json', '--out', out]);
      expect(cli.code, cli.stderr).toBe(0);
      expect(JSON.parse(cli.stdout).people.find((x: { id: number }) => x.id === p.id).name).toBe('Ana Served');
      const last = (await getJson('/api/corrections')).corrections.at(-1);
      expect(last.id).toBe(c.id);
    });

    it('POST /api/merge then /api/undo restores the people', async () => {
      const before = people().map((p) => [p.id, p.faces.map((f) => f.faceId)]);
      const [a, b] = people();
      const r = await post('/api/merge', { people: [a!.id, b!.id] });
      expect(r.status, await r.clone().text()).toBe(200);
      expect((await json(r)).kind).toBe('merge');
      const merged = await getJson(`/api/people/${a!.id}?limit=10000`);
      expect(merged.count).toBe(a!.faces.length + b!.faces.length);
      expect((await get(`/api/people/${b!.id}`)).status).toBe(404);
      const u = await post('/api/undo', {});
      expect(u.status).toBe(200);
      expect(people().map((p) => [p.id, p.faces.map((f) => f.faceId)])).toEqual(before);
    });

    it('a bad body → 400 naming the field; a bad id → 400 with the store\'s message', async () => {
      const cases: [string, unknown, RegExp][] = [
        ['/api/merge', { peeple: [1, 2] }, /\bpeople\b/],
        ['/api/merge', { people: [1, 2], into: 'x' }, /\binto\b/],
        ['/api/move', { faces: [1] }, /\bto\b/],
        ['/api/move', { faces: 'all', to: 1 }, /\bfaces\b/],
        ['/api/reject', { faces: [1] }, /\bfrom\b/],
        ['/api/notface', {}, /\bfaces\b/],
        ['/api/name', { person: 1 }, /\bname\b/],
        ['/api/name', [1], /JSON object/],
        ['/api/merge', { people: [999998, 999999] }, /999998|person/i],
      ];
      for (const [route, body, message] of cases) {
        const r = await post(route, body);
        expect(r.status, `${route} ${JSON.stringify(body)}`).toBe(400);
        expect((await json(r)).error, route).toMatch(message);
      }
      const notJson = await fetch(`${base}/api/name`, { method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: '{' });
      expect(notJson.status).toBe(400);
    });
  });
});

describe.skipIf(!hasData || !hasBin)('faceclust serve: photos reached through symlinks', () => {
  let lib: string;
  let out: string;
  let server: RunningServer;
  const photo = (faceId: number) => fetch(`http://127.0.0.1:${server.port}/api/faces/${faceId}/photo`, { headers: { 'X-Faceclust-Token': server.token } });

  beforeAll(async () => {
    const root = scratchDir();
    // the library is reached through a linked folder, as a library on another disk often is
    lib = path.join(root, 'library');
    out = path.join(root, 'out');
    for (const who of ['biden', 'obama']) fs.cpSync(path.join(dataDir, 'photos-small', who), path.join(root, 'real-library', who), { recursive: true });
    fs.symlinkSync(path.join(root, 'real-library'), lib);
    const run = await runCli(['run', lib, '--out', out, '-q', '--threads', '2']);
    expect(run.code, run.stderr).toBe(0);
    // after the run: one photo becomes a link out of the library (same bytes, so the store still knows it),
    // another a link to a photo inside it
    const outside = path.join(root, 'outside');
    fs.mkdirSync(outside);
    fs.renameSync(path.join(lib, 'biden', 'biden.jpg'), path.join(outside, 'biden.jpg'));
    fs.symlinkSync(path.join(outside, 'biden.jpg'), path.join(lib, 'biden', 'biden.jpg'));
    fs.rmSync(path.join(lib, 'obama', 'obama2.jpg'));
    fs.symlinkSync(path.join(lib, 'obama', 'obama.jpg'), path.join(lib, 'obama', 'obama2.jpg'));
    server = await startServer(out);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const faceOf = (ending: string) => listPeople(out).flatMap((p) => p.faces).find((f) => f.file.endsWith(ending))!.faceId;

  it('a photo that is a link out of the library → 404; a link within it and a plain photo (under the linked folder) → 200', async () => {
    const out404 = await photo(faceOf('biden/biden.jpg'));
    expect(out404.status).toBe(404);
    expect(((await out404.json()) as { error: string }).error).toMatch(/leads out of the library/);
    const inside = await photo(faceOf('obama/obama2.jpg'));
    expect(inside.status).toBe(200);
    expect(Buffer.from(await inside.arrayBuffer()).equals(fs.readFileSync(path.join(lib, 'obama', 'obama.jpg')))).toBe(true);
    expect((await photo(faceOf('biden/biden2.jpg'))).status).toBe(200);
  });
});

