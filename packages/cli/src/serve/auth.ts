/**
 * The review server's guard: a random token on every request (from `?token=`, which sets a cookie, or a
 * header), and for requests that change something the token in a header plus a same-origin check, so
 * another site open in the same browser can neither read nor act.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';

export const TOKEN_COOKIE = 'faceclust_token';
export const TOKEN_HEADER = 'X-Faceclust-Token';

/** A fresh token: 32 random bytes, URL-safe. */
export function makeToken(): string {
  return randomBytes(32).toString('base64url');
}

function same(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token a request carries in a header: `Authorization: Bearer …` or `X-Faceclust-Token: …`. */
function headerToken(get: (name: string) => string | undefined): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(get('authorization') ?? '');
  return bearer?.[1] ?? get(TOKEN_HEADER.toLowerCase());
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether `host` (as bound) is a loopback address, where the Host header must name loopback too. */
export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\./.test(host);
}

/**
 * 401 without the token; 403 for a state-changing request without the token in a header, or from another
 * origin (its Origin not this Host, or `Sec-Fetch-Site` not same-origin). When bound to loopback, a Host
 * header that is not a loopback name is refused too (403), so a DNS-rebound name cannot reach the API.
 */
export function guard(token: string, opts: { loopback: boolean }): MiddlewareHandler {
  return async (c, next) => {
    const get = (name: string) => c.req.header(name);
    const host = get('host') ?? '';
    if (opts.loopback && !LOOPBACK_NAMES.has(host.replace(/:\d+$/, ''))) return c.json({ error: `Host ${JSON.stringify(host)} is not this loopback server` }, 403);
    const fromQuery = c.req.query('token');
    const fromHeader = headerToken(get);
    const ok = same(fromHeader, token) || same(fromQuery, token) || same(getCookie(c, TOKEN_COOKIE), token);
    if (!ok) return c.json({ error: 'Missing or wrong token: open the URL `faceclust serve` printed (it carries ?token=…)' }, 401);
    if (same(fromQuery, token)) setCookie(c, TOKEN_COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/' });
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      if (!same(fromHeader, token)) return c.json({ error: `A ${c.req.method} needs the token in a header (${TOKEN_HEADER} or Authorization: Bearer), not only a cookie or the query` }, 403);
      const origin = get('origin');
      if (origin !== undefined && origin !== `http://${host}`) return c.json({ error: `Origin ${origin} is not this server (http://${host})` }, 403);
      const site = get('sec-fetch-site');
      if (site !== undefined && site !== 'same-origin' && site !== 'none') return c.json({ error: `Sec-Fetch-Site ${site}: only same-origin requests may change anything` }, 403);
    }
    await next();
  };
}
