/**
 * `faceclust serve`'s server: the review page and a small JSON API under /api over an output folder's store.
 * The store is the only state. Reads go through one long-lived connection (its data_version tells the page
 * when someone else changed the people); every correction goes through corrections.ts, which opens the
 * store under the folder's write lock, so the CLI and any number of tabs never lose a correction. Photos
 * and crops are found by id in the store, never from a path in the request.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import sharp from 'sharp';
import { EmbedError, type FaceStore, type PersonSummary } from '@faceclust/embed';
import { listCorrections, merge, move, namePerson, notFace, reject, separate, undo } from '../corrections.js';
import { LockBusyError } from '../lock.js';
import { DEFAULTS, metricDefault, UsageError } from '../options.js';
import { adoptCall, openStore } from '../people.js';
import { suggest } from '../suggest.js';
import { guard, isLoopback, makeToken, TOKEN_HEADER } from './auth.js';
import { ReclusterJobs } from './recluster-job.js';

/** Options of {@link startServer}. */
export interface ServeOptions {
  /** TCP port; 0 (default) takes any free one. */
  port?: number;
  /** Address to bind (default 127.0.0.1). Anything but loopback lets other machines try the token. */
  host?: string;
  /** The token (default: 32 random bytes); for tests. */
  token?: string;
}

/** A running server: its URL (carrying the token), the token, and how to stop it. */
export interface RunningServer {
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

/** Types a browser shows as they are; other photos (HEIC, TIFF, …) are sent as JPEG. */
const SHOWN_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp', '.gif': 'image/gif', '.avif': 'image/avif', '.bmp': 'image/bmp',
};

/** The page's built assets (scripts/build-app.mjs): dist/serve/assets from both dist/serve and src/serve. */
const ASSETS_DIR = fileURLToPath(new URL('../../dist/serve/assets/', import.meta.url));
const ASSET_TYPES: Record<string, string> = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' };

/** The page's HTML: the token for its POSTs rides in a meta tag (only this origin can read the page). */
function pageHtml(token: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="faceclust-token" content="${token}">
<title>faceclust review</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<div id="app"><p class="loading">Loading…</p></div>
<script type="module" src="/assets/app.js"></script>
</body>
</html>
`;
}

const CSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** A path parameter that must be a positive integer id; anything else (a path, `..`, encoded slashes) is undefined → 404. */
function idParam(raw: string): number | undefined {
  if (!/^[1-9]\d{0,15}$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** An optional non-negative integer query value, or a RangeError naming it. */
function intQuery(c: Context, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) throw new RangeError(`Expected ${name} to be an integer between 0 and ${max} but received ${JSON.stringify(raw)}`);
  return Number(raw);
}

const flag = (c: Context, name: string) => ['1', 'true', 'yes'].includes(c.req.query(name) ?? '');

class NotFound extends Error {}

/** Bad input (TypeError/RangeError/UsageError) → 400 with its message; a missing thing → 404; the folder busy with another writer → 409. */
function failure(c: Context, err: unknown) {
  if (err instanceof NotFound) return c.json({ error: err.message }, 404);
  if (err instanceof LockBusyError) return c.json({ error: err.message }, 409);
  if (err instanceof TypeError || err instanceof RangeError || err instanceof UsageError || err instanceof EmbedError) return c.json({ error: err.message }, 400);
  throw err;
}

/** The JSON body of a POST as an object, or a TypeError naming what was received. */
async function body(c: Context): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = await c.req.json();
  } catch {
    throw new TypeError('Expected a JSON object as the request body but received something that is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError(`Expected a JSON object as the request body but received ${JSON.stringify(parsed)}`);
  return parsed as Record<string, unknown>;
}

function field<T>(b: Record<string, unknown>, name: string, ok: (v: unknown) => boolean, expected: string, optional = false): T {
  const v = b[name];
  if ((v === undefined && optional) || ok(v)) return v as T;
  throw new TypeError(`Expected ${name} to be ${expected} but received ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
}
const isIdArray = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((x) => Number.isSafeInteger(x) && (x as number) >= 1);
const isId = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 1;

/**
 * Whether a photo file that is a symlink may be served: its real path must be in a folder of the library,
 * i.e. a folder the store holds photos in (by their stored paths). A link among the photos that leads out
 * of the library (to /etc, to a home folder) is refused.
 */
function insideLibrary(store: FaceStore, file: string, real: string): boolean {
  // a folder of stored photos, or the real folder of the link itself (a library reached through a linked folder)
  return store.hasImagesIn(path.dirname(real)) || fs.realpathSync(path.dirname(file)) === path.dirname(real);
}

/**
 * The people grid's rows (largest first) as of the store's data_version: computed once per change of the
 * store, not per request, and ahead of the first request, so the grid's first screen waits on no query.
 */
class PeopleIndex {
  private version = -1;
  private rows: PersonSummary[] = [];
  constructor(private readonly store: FaceStore) {}

  get(): PersonSummary[] {
    const version = this.store.dataVersion();
    if (version !== this.version) {
      this.rows = this.store.people.summaries().people;
      this.version = version;
    }
    return this.rows;
  }
}

/**
 * The crops of the first `inline` (a query value, at most INLINE_MAX) of `ids` as data: URLs, for a page's
 * first screen: its tiles show with the JSON
 * instead of waiting in the browser's six-connections-per-host queue, one request each. The rest are
 * fetched from /api/faces/:id/crop (cached).
 */
function inlineCrops(c: Context, store: FaceStore, ids: (number | undefined)[]): (string | undefined)[] {
  const n = intQuery(c, 'inline', 0, INLINE_MAX);
  return ids.map((id, k) => (k < n && id !== undefined ? `data:image/png;base64,${store.getCrop(id).toString('base64')}` : undefined));
}
const INLINE_MAX = 200;

/** The Hono app over output folder `out`, reading through `store` (exported for tests that need no socket). */
export function createApp(out: string, store: FaceStore, token: string, opts: { loopback: boolean }): { app: Hono; close(): void } {
  const app = new Hono();
  const jobs = new ReclusterJobs(out);
  const index = new PeopleIndex(store);
  setImmediate(() => index.get()); // warm: the page's first request finds the rows ready
  const command = (route: string) => `faceclust serve: POST ${route}`;
  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
  });
  app.use('*', guard(token, opts));

  app.get('/', (c) => {
    c.header('Content-Security-Policy', CSP);
    c.header('Cache-Control', 'no-store');
    return c.html(pageHtml(token));
  });

  app.get('/assets/:name', (c) => {
    const name = c.req.param('name');
    const type = ASSET_TYPES[name];
    if (!type) return c.json({ error: 'Not found' }, 404);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(ASSETS_DIR, name));
    } catch {
      return c.text(`faceclust serve: the page's ${name} is missing from ${ASSETS_DIR}: build the package (pnpm build)`, 500);
    }
    const etag = `"${createHash('sha1').update(bytes).digest('base64url')}"`;
    c.header('ETag', etag);
    c.header('Cache-Control', 'no-cache');
    if ((c.req.header('if-none-match') ?? '').split(/\s*,\s*/).includes(etag)) return c.body(null, 304);
    c.header('Content-Type', type);
    return c.body(new Uint8Array(bytes));
  });

  // what the page polls: it changes when anyone (this server, the CLI, another tab) commits to the store
  app.get('/api/revision', (c) => c.json({ revision: store.dataVersion(), job: jobs.current() ?? null }));

  app.get('/api/people', (c) => {
    try {
      const q = (c.req.query('q') ?? '').trim();
      const offset = intQuery(c, 'offset', 0);
      const limit = intQuery(c, 'limit', 200, 10000);
      const unnamed = flag(c, 'unnamed');
      const once = flag(c, 'once');
      const search = q.toLowerCase();
      const rows = index.get().filter((p) => (!unnamed || p.name === null) && (!once || p.faces === 1) && (!search || (p.name ?? '').toLowerCase().includes(search)));
      const page = rows.slice(offset, offset + limit);
      const crops = inlineCrops(c, store, page.map((p) => p.face));
      return c.json({
        total: rows.length, offset, limit,
        people: page.map((p, k) => ({ id: p.id, name: p.name, count: p.faces, confirmed: p.confirmed, face: p.face ?? null, ...(crops[k] ? { crop: crops[k] } : {}) })),
      });
    } catch (err) {
      return failure(c, err);
    }
  });

  app.get('/api/people/:id', (c) => {
    try {
      const id = idParam(c.req.param('id'));
      const person = id === undefined ? undefined : store.people.summary(id);
      if (!person) throw new NotFound(`No person ${c.req.param('id')}`);
      const offset = intQuery(c, 'offset', 0);
      const limit = intQuery(c, 'limit', 200, 10000);
      const faces = store.people.facesOfPerson(person.id, { offset, limit });
      const crops = inlineCrops(c, store, faces.map((f) => f.faceId));
      return c.json({ id: person.id, name: person.name, count: person.faces, confirmed: person.confirmed, face: person.face ?? null, offset, limit, faces: faces.map((f, k) => (crops[k] ? { ...f, crop: crops[k] } : f)) });
    } catch (err) {
      return failure(c, err);
    }
  });

  app.get('/api/unassigned', (c) => {
    try {
      const offset = intQuery(c, 'offset', 0);
      const limit = intQuery(c, 'limit', 200, 10000);
      const models = store.listModels();
      const model = models.length === 1 ? models[0]!.id : store.modelId();
      const page = store.people.unassigned(model, { offset, limit });
      const crops = inlineCrops(c, store, page.faces.map((f) => f.faceId));
      return c.json({ offset, limit, total: page.total, faces: page.faces.map((f, k) => (crops[k] ? { ...f, crop: crops[k] } : f)) });
    } catch (err) {
      return failure(c, err);
    }
  });

  app.get('/api/faces/:id/crop', (c) => {
    const id = idParam(c.req.param('id'));
    if (id === undefined) return c.json({ error: 'No such face' }, 404);
    let crop: Buffer;
    try {
      crop = store.getCrop(id);
    } catch (err) {
      if (err instanceof RangeError) return c.json({ error: err.message }, 404);
      throw err;
    }
    // by content: a face id given again to another face after re-embedding never shows a stale crop
    const etag = `"${createHash('sha1').update(crop).digest('base64url')}"`;
    c.header('ETag', etag);
    c.header('Cache-Control', 'private, max-age=3600');
    if ((c.req.header('if-none-match') ?? '').split(/\s*,\s*/).includes(etag)) return c.body(null, 304);
    c.header('Content-Type', 'image/png');
    return c.body(new Uint8Array(crop));
  });

  app.get('/api/faces/:id/photo', async (c) => {
    const id = idParam(c.req.param('id'));
    const face = id === undefined ? undefined : store.getFace(id);
    if (!face) return c.json({ error: 'No such face' }, 404);
    let real: string;
    try {
      real = await fs.promises.realpath(face.file); // the store's path, never the request's
    } catch {
      return c.json({ error: `The photo of face ${id} is gone from ${face.file} (faceclust prune forgets it)` }, 404);
    }
    // the folders above may be links the user chose to walk (a library reached through a linked folder);
    // a photo file that is itself a link must lead to a folder of the library
    const isLink = (await fs.promises.lstat(face.file)).isSymbolicLink();
    if (isLink && !insideLibrary(store, face.file, real)) return c.json({ error: `The photo of face ${id} leads out of the library (${face.file} is a link to ${real})` }, 404);
    const type = SHOWN_TYPES[path.extname(real).toLowerCase()];
    c.header('Cache-Control', 'private, no-cache');
    try {
      if (type) {
        c.header('Content-Type', type);
        return c.body(new Uint8Array(await fs.promises.readFile(real)));
      }
      // a format browsers do not show: decoded and sent as JPEG, upright like the boxes
      c.header('Content-Type', 'image/jpeg');
      return c.body(new Uint8Array(await sharp(real).rotate().jpeg({ quality: 90 }).toBuffer()));
    } catch (err) {
      return c.json({ error: `Could not read the photo of face ${id} (${face.file}): ${(err as Error).message}` }, 404);
    }
  });

  app.get('/api/photos/:faceId/faces', (c) => {
    const id = idParam(c.req.param('faceId'));
    const faces = id === undefined ? [] : store.facesOfPhotoOf(id);
    if (faces.length === 0) return c.json({ error: 'No such face' }, 404);
    const ids = faces.map((f) => f.id);
    const personOf = store.people.ofFaces(ids);
    const size = store.imageSize(faces[0]!.file, faces[0]!.model);
    return c.json({
      file: faces[0]!.file, ...(size ? { width: size.width, height: size.height } : {}),
      faces: faces.map((f) => {
        const person = personOf.get(f.id);
        return { faceId: f.id, face: f.faceIndex, box: f.box, score: f.score, person: person ?? null };
      }),
    });
  });

  app.get('/api/suggest', async (c) => {
    try {
      const person = c.req.query('person');
      return c.json(await suggest(out, { limit: intQuery(c, 'limit', 20, 10000), ...(person ? { person: intQuery(c, 'person', 0) } : {}) }));
    } catch (err) {
      return failure(c, err);
    }
  });

  app.get('/api/corrections', (c) => {
    try {
      return c.json({ corrections: listCorrections(out) });
    } catch (err) {
      return failure(c, err);
    }
  });

  // re-clustering from the page: a preview is a real clustering call (recorded like any `faceclust cluster`),
  // run as a job the page polls; applying it adopts that call, corrections kept
  app.post('/api/recluster', async (c) => {
    try {
      const b = await body(c);
      const job = jobs.start({
        method: field(b, 'method', (v) => v === 'cw' || v === 'dbscan', '"cw" or "dbscan"'),
        threshold: field<number | undefined>(b, 'threshold', (v) => typeof v === 'number', 'a number', true),
        eps: field<number | undefined>(b, 'eps', (v) => typeof v === 'number', 'a number', true),
        minSamples: field<number | undefined>(b, 'minSamples', (v) => typeof v === 'number', 'a number', true),
      }, command('/api/recluster'));
      return c.json(job, 202);
    } catch (err) {
      return failure(c, err);
    }
  });
  // the page's re-cluster form shows the defaults a call without parameters uses (the CLI's, euclidean)
  app.get('/api/defaults', (c) => c.json({ cw: { threshold: metricDefault('cw', 'euclidean') }, dbscan: { eps: metricDefault('dbscan', 'euclidean'), minSamples: DEFAULTS.minSamples } }));
  app.get('/api/jobs/:id', (c) => {
    const id = idParam(c.req.param('id'));
    const job = id === undefined ? undefined : jobs.get(id);
    return job ? c.json(job) : c.json({ error: 'No such job' }, 404);
  });

  // each POST: one call of corrections.ts, which takes the write lock, stores, logs; the correction comes back
  const post = (route: string, act: (b: Record<string, unknown>) => unknown) =>
    app.post(route, async (c) => {
      try {
        const result = act(await body(c));
        if (result === undefined) return c.json({ error: 'Nothing to undo' }, 400);
        return c.json(result);
      } catch (err) {
        return failure(c, err);
      }
    });
  const faces = (b: Record<string, unknown>) => field<number[]>(b, 'faces', isIdArray, 'a non-empty array of face ids');
  post('/api/merge', (b) => merge(out, field(b, 'people', isIdArray, 'a non-empty array of person ids'), { into: field<number | undefined>(b, 'into', isId, 'a person id', true), command: command('/api/merge') }));
  post('/api/move', (b) => move(out, faces(b), field(b, 'to', (v) => isId(v) || v === 'new', 'a person id or "new"'), { command: command('/api/move') }));
  post('/api/reject', (b) => reject(out, faces(b), field(b, 'from', isId, 'a person id'), { command: command('/api/reject') }));
  post('/api/notface', (b) => notFace(out, faces(b), { command: command('/api/notface') }));
  post('/api/name', (b) => namePerson(out, field(b, 'person', isId, 'a person id'), field(b, 'name', (v) => v === null || (typeof v === 'string' && v.trim() !== ''), 'a non-empty string, or null to remove the name'), { command: command('/api/name') }));
  post('/api/separate', (b) => separate(out, field(b, 'a', isId, 'a person id'), field(b, 'b', isId, 'a person id'), { command: command('/api/separate') }));
  post('/api/undo', () => undo(out, { command: command('/api/undo') }));
  post('/api/adopt', (b) => {
    const r = adoptCall(out, { call: field(b, 'call', isId, 'a call number'), command: command('/api/adopt') });
    return { ...r, summary: `adopted call ${r.call} as the people: ${r.kept} kept (ids and names), ${r.created} new, ${r.faces} faces` };
  });

  app.notFound((c) => c.json({ error: 'Not found' }, 404));
  return { app, close: () => jobs.abort() };
}

/**
 * Serves output folder `out`'s people for review: binds `host` (default 127.0.0.1) on `port` (default 0:
 * any free port) and resolves once listening, with the URL carrying the token.
 *
 * @throws UsageError when `out` has no store; the listen error (EADDRINUSE, …) as it is.
 */
export async function startServer(out: string, opts: ServeOptions = {}): Promise<RunningServer> {
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`Expected port to be an integer between 0 and 65535 but received ${port}`);
  const host = opts.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') throw new TypeError(`Expected host to be an address but received ${JSON.stringify(host)}`);
  const { store } = openStore(out); // a folder with no store fails now, not on the first request
  const token = opts.token ?? makeToken();
  const { app, close } = createApp(out, store, token, { loopback: isLoopback(host) });
  let server: ServerType;
  try {
    server = await new Promise((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port, hostname: host }, () => resolve(s));
      s.once('error', reject);
    });
  } catch (err) {
    store.close();
    throw err;
  }
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}/?token=${token}`,
    token,
    port: bound,
    close: () =>
      new Promise<void>((resolve, reject) => {
        close();
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close((err) => {
          store.close();
          if (err) reject(err);
          else resolve();
        });
      }),
  };
}

export { TOKEN_HEADER };
