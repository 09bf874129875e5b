/**
 * `faceclust serve`'s server: a small JSON API under /api over an output folder's store. The store is the
 * only state: each request opens it (corrections under the folder's write lock, through corrections.ts), so
 * the CLI and any number of tabs never lose a correction. Photos and crops are found by face id in the
 * store, never from a path in the request.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { EmbedError } from '@faceclust/embed';
import { listCorrections, merge, move, namePerson, notFace, reject, undo } from '../corrections.js';
import { UsageError } from '../options.js';
import { listPeople, openStore } from '../people.js';
import { suggest } from '../suggest.js';
import { guard, isLoopback, makeToken } from './auth.js';

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

const PHOTO_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp', '.gif': 'image/gif',
  '.tif': 'image/tiff', '.tiff': 'image/tiff', '.avif': 'image/avif', '.heic': 'image/heic', '.heif': 'image/heif', '.bmp': 'image/bmp',
};

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

/** Bad input (the functions' TypeError/RangeError/UsageError) → 400 with its message; a missing thing → 404. */
function failure(c: Context, err: unknown) {
  if (err instanceof NotFound) return c.json({ error: err.message }, 404);
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

/** The Hono app over output folder `out` (exported for tests that need no socket). */
export function createApp(out: string, token: string, opts: { loopback: boolean }): Hono {
  const app = new Hono();
  const command = (route: string) => `faceclust serve: POST ${route}`;
  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
  });
  app.use('*', guard(token, opts));

  app.get('/api/people', (c) => {
    try {
      const q = (c.req.query('q') ?? '').trim().toLowerCase();
      const offset = intQuery(c, 'offset', 0);
      const limit = intQuery(c, 'limit', 200, 10000);
      const people = listPeople(out)
        .filter((p) => !flag(c, 'unnamed') || p.name === null)
        .filter((p) => !flag(c, 'once') || p.faces.length === 1)
        .filter((p) => !q || (p.name ?? '').toLowerCase().includes(q));
      return c.json({
        total: people.length, offset, limit,
        people: people.slice(offset, offset + limit).map((p) => ({ id: p.id, name: p.name, count: p.faces.length, face: p.faces[0]?.faceId ?? null })),
      });
    } catch (err) {
      return failure(c, err);
    }
  });

  app.get('/api/people/:id', (c) => {
    try {
      const id = idParam(c.req.param('id'));
      const person = id === undefined ? undefined : listPeople(out).find((p) => p.id === id);
      if (!person) throw new NotFound(`No person ${c.req.param('id')}`);
      const offset = intQuery(c, 'offset', 0);
      const limit = intQuery(c, 'limit', 200, 10000);
      return c.json({ id: person.id, name: person.name, count: person.faces.length, offset, limit, faces: person.faces.slice(offset, offset + limit) });
    } catch (err) {
      return failure(c, err);
    }
  });

  app.get('/api/faces/:id/crop', (c) => {
    const id = idParam(c.req.param('id'));
    if (id === undefined) return c.json({ error: 'No such face' }, 404);
    const { store } = openStore(out);
    let crop: Buffer;
    try {
      crop = store.getCrop(id);
    } catch (err) {
      if (err instanceof RangeError) return c.json({ error: err.message }, 404);
      throw err;
    } finally {
      store.close();
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
    if (id === undefined) return c.json({ error: 'No such face' }, 404);
    const { store } = openStore(out);
    let face;
    try {
      face = store.getFace(id);
    } finally {
      store.close();
    }
    if (!face) return c.json({ error: `No face ${id}` }, 404);
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(face.file); // the store's path, never the request's
    } catch {
      return c.json({ error: `The photo of face ${id} is gone from ${face.file} (faceclust prune forgets it)` }, 404);
    }
    c.header('Content-Type', PHOTO_TYPES[path.extname(face.file).toLowerCase()] ?? 'application/octet-stream');
    c.header('Cache-Control', 'private, no-cache');
    return c.body(new Uint8Array(bytes));
  });

  app.get('/api/photos/:faceId/faces', (c) => {
    const id = idParam(c.req.param('faceId'));
    if (id === undefined) return c.json({ error: 'No such face' }, 404);
    const { store } = openStore(out);
    try {
      const faces = store.facesOfPhotoOf(id);
      if (faces.length === 0) return c.json({ error: `No face ${id}` }, 404);
      const assigned = store.people.personOfFaces();
      const personOf = new Map(Array.from(assigned.faceIds, (f, i) => [f, assigned.personIds[i]!]));
      const names = new Map(store.people.list().map((p) => [p.id, p.name]));
      const size = store.imageSizes({ model: faces[0]!.model }).get(faces[0]!.file);
      return c.json({
        file: faces[0]!.file, ...(size ? { width: size.width, height: size.height } : {}),
        faces: faces.map((f) => {
          const person = personOf.get(f.id);
          return { faceId: f.id, face: f.faceIndex, box: f.box, score: f.score, person: person === undefined ? null : { id: person, name: names.get(person) ?? null } };
        }),
      });
    } finally {
      store.close();
    }
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
  post('/api/merge', (b) => merge(out, field(b, 'people', isIdArray, 'a non-empty array of person ids'), { into: field<number | undefined>(b, 'into', isId, 'a person id', true), command: command('/api/merge') }));
  post('/api/move', (b) => move(out, field(b, 'faces', isIdArray, 'a non-empty array of face ids'), field(b, 'to', (v) => isId(v) || v === 'new', 'a person id or "new"'), { command: command('/api/move') }));
  post('/api/reject', (b) => reject(out, field(b, 'faces', isIdArray, 'a non-empty array of face ids'), field(b, 'from', isId, 'a person id'), { command: command('/api/reject') }));
  post('/api/notface', (b) => notFace(out, field(b, 'faces', isIdArray, 'a non-empty array of face ids'), { command: command('/api/notface') }));
  post('/api/name', (b) => namePerson(out, field(b, 'person', isId, 'a person id'), field(b, 'name', (v) => v === null || (typeof v === 'string' && v.trim() !== ''), 'a non-empty string, or null to remove the name'), { command: command('/api/name') }));
  post('/api/undo', () => undo(out, { command: command('/api/undo') }));

  app.notFound((c) => c.json({ error: 'Not found' }, 404));
  return app;
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
  openStore(out).store.close(); // a folder with no store fails now, not on the first request
  const token = opts.token ?? makeToken();
  const app = createApp(out, token, { loopback: isLoopback(host) });
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}/?token=${token}`,
    token,
    port: bound,
    close: () =>
      new Promise<void>((resolve, reject) => {
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
