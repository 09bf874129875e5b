/**
 * The pure parts of serve-scale.ts: summaries of repeated timings, the server's URL line, which person is
 * "mid-sized", request paths grouped by route, and the first-screen watcher the browser runs in each page.
 */

/** Repeated timings of one thing: how many, their median (mean of the middle two for an even count), min and max. */
export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

/** The summary of `values` (non-finite ones dropped), or undefined when none is left. */
export function summarize(values: readonly number[]): Summary | undefined {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  return { n: v.length, median: v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2, min: v[0]!, max: v.at(-1)! };
}

/** What `faceclust serve` prints as stdout's first line: its URL with `?token=…`. */
export interface ServeUrl {
  url: string;
  origin: string;
  token: string;
}

/** The URL, origin and token of `faceclust serve`'s URL line; a TypeError naming the line when it is not one. */
export function parseServeUrl(line: string): ServeUrl {
  let u: URL;
  try {
    u = new URL(line.trim());
  } catch {
    throw new TypeError(`Expected faceclust serve's first stdout line to be its URL but received ${JSON.stringify(line)}`);
  }
  const token = u.searchParams.get('token');
  if (!/^https?:$/.test(u.protocol) || !token) throw new TypeError(`Expected an http URL with ?token=… from faceclust serve but received ${JSON.stringify(line)}`);
  return { url: u.href, origin: u.origin, token };
}

/** A person as the benchmark picks them: id and face count. */
export interface PersonSize {
  id: number;
  count: number;
}

/**
 * The largest person (ties: the lower id) and a mid-sized one: the median of the people with two faces or
 * more, by count then id (people seen once make up most of a Zipf tail and are not what a person page is for).
 */
export function pickPeople(people: readonly PersonSize[]): { largest: PersonSize; mid: PersonSize } | undefined {
  if (people.length === 0) return undefined;
  const sorted = [...people].sort((a, b) => b.count - a.count || a.id - b.id);
  const several = sorted.filter((p) => p.count >= 2);
  const pool = several.length ? several : sorted;
  return { largest: sorted[0]!, mid: pool[pool.length >> 1]! };
}

/** A request's route for grouping: the path with numbers as `:id` and no query (`/api/faces/17/crop` → `/api/faces/:id/crop`); files by extension. */
export function routeOf(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  if (u.protocol === 'file:') {
    const ext = /\.([a-z0-9]+)$/i.exec(u.pathname)?.[1];
    return `file *.${ext ?? '?'}${/\/report\.html$/.test(u.pathname) ? ` (${u.pathname.split('/').slice(-2).join('/')})` : ''}`;
  }
  if (u.protocol === 'data:') return 'data:';
  return u.pathname.replace(/\/\d+(?=\/|$)/g, '/:id');
}

/** One request of a page load, as Resource Timing saw it. */
export interface PageRequest {
  route: string;
  /** Request sent → response end: the server's time and the transfer, without waiting for a connection. */
  ms: number;
  /** Waiting in the browser before the request was sent (six connections per host: the rest queue). */
  queuedMs: number;
  /** Navigation start → response end. */
  endMs: number;
  status?: number;
  /** Answered from the HTTP cache (nothing transferred, a body there); file:// loads never count. */
  cached: boolean;
}

/** Resource Timing of one request as the watcher passes it: [url, startTime, requestStart, responseEnd, status, transferSize, decodedBodySize]. */
export type RawRequest = [string, number, number, number, number | undefined, number, number];

/** A page request from the watcher's {@link RawRequest} (requestStart is 0 when nothing was sent: a cache hit, a file). */
export function pageRequest([url, startTime, requestStart, endMs, status, transferSize, decodedBodySize]: RawRequest): PageRequest {
  const sent = requestStart > 0 ? requestStart : startTime;
  return { route: routeOf(url), ms: endMs - sent, queuedMs: sent - startTime, endMs, ...(status ? { status } : {}), cached: /^https?:/.test(url) && transferSize === 0 && decodedBodySize > 0 };
}

/**
 * The script each measured page runs before its own (playwright's addInitScript): every animation frame
 * (and every 100 ms, should frames stop) it checks whether the first screen is complete and, the first time
 * it is, sets `window.__firstScreen` to the time since navigation start. Complete means: the DOM is parsed
 * (DOMContentLoaded), every image in the viewport is loaded, and there is something to show: at least one
 * image, or `<body data-ready>` (a page that says it has rendered, e.g. an empty person), or, for a page
 * that shows no images (`expectImages` false), nothing more. Images are <img> elements (`complete &&
 * naturalWidth > 0`) and CSS background images (the static report's tiles are sprites: each URL is probed
 * with an Image, which the browser answers from the same resource; a sprite counts once). What is in the
 * viewport comes from an IntersectionObserver on every element, so a check looks at the elements on screen only.
 * It also notes when the viewport's images were first all loaded while the DOM was still being parsed
 * (`earlyMs`: what a reader of a very long static page sees before DOMContentLoaded), with `anchorId`'s
 * element, when given, scrolled into the viewport.
 * `window.__firstScreenState` keeps the last check's counts, to say why a page timed out. With the time
 * go the page's requests until then, from Resource Timing (see {@link RawRequest}).
 */
export function firstScreenScript(expectImages: boolean, anchorId?: string): string {
  return `(() => {
  const expectImages = ${expectImages ? 'true' : 'false'};
  const anchorId = ${JSON.stringify(anchorId ?? null)};
  const probes = new Map();
  // what is in the viewport, from an IntersectionObserver on every element (native, off the page's JS),
  // where sampling the viewport with elementsFromPoint cost the page up to a second of main thread
  const visible = new Set();
  const io = new IntersectionObserver((entries) => {
    for (const e of entries) e.isIntersecting ? visible.add(e.target) : visible.delete(e.target);
  });
  const watch = (node) => {
    if (node.nodeType !== 1) return;
    io.observe(node);
    for (const el of node.getElementsByTagName('*')) io.observe(el);
  };
  const mo = new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) watch(n);
  });
  mo.observe(document, { childList: true, subtree: true });
  if (document.documentElement) watch(document.documentElement);
  let checkMs = 0, checks = 0;
  const check = () => {
    if (window.__firstScreen || !document.body) return;
    const t0 = performance.now();
    const parsing = document.readyState === 'loading';
    const ready = document.body.hasAttribute('data-ready');
    const vh = window.innerHeight;
    let inView = 0, done = 0, broken = 0;
    const loaded = (img) => { inView++; if (img.complete) { if (img.naturalWidth > 0) done++; else broken++; } };
    const urls = new Set();
    for (const el of visible) {
      if (!el.isConnected) { visible.delete(el); continue; }
      if (el.tagName === 'IMG') { loaded(el); continue; }
      if (el === document.body || el === document.documentElement) continue;
      const m = /url\\(\\s*["']?([^"')]+)["']?\\s*\\)/.exec(getComputedStyle(el).backgroundImage || '');
      if (m) urls.add(m[1]);
    }
    for (const url of urls) {
      let probe = probes.get(url);
      if (!probe) { probe = new Image(); probe.src = url; probes.set(url, probe); }
      loaded(probe);
    }
    // what the watching costs the page (it runs on the page's main thread)
    checkMs += performance.now() - t0;
    checks++;
    window.__firstScreenState = { parsing, inView, done, broken, ready, backgrounds: probes.size, checks, checkMs };
    // a long page shows its first screen while it is still being parsed: when, for comparison (the anchor, if any, scrolled into view)
    if (!window.__firstScreenEarly && inView > 0 && done === inView) {
      const a = anchorId === null ? null : document.getElementById(anchorId);
      const r = a && a.getBoundingClientRect();
      if (anchorId === null || (r && r.top < vh && r.bottom > 0)) window.__firstScreenEarly = performance.now();
    }
    if (parsing) return;
    if ((ready || inView > 0 || !expectImages) && done === inView) {
      const nav = performance.getEntriesByType('navigation')[0];
      const entries = performance.getEntriesByType('resource').concat(nav ? [nav] : []);
      window.__firstScreen = {
        ms: performance.now(), earlyMs: window.__firstScreenEarly, inView, ready, checks, checkMs, dclMs: nav ? nav.domContentLoadedEventEnd : undefined,
        resources: entries.map((e) => [e.name, e.startTime, e.requestStart, e.responseEnd, e.responseStatus, e.transferSize, e.decodedBodySize]),
      };
      clearInterval(timer);
      io.disconnect();
      mo.disconnect();
    }
  };
  // the default buffer of 250 entries would drop most requests of a page of faces
  performance.setResourceTimingBufferSize(100000);
  const frame = () => { check(); if (!window.__firstScreen) requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  const timer = setInterval(check, 100);
})();`;
}

/**
 * Where report section `#id` is in a static report page's HTML: undefined when the page has no such
 * section, else how many faces it shows (its `data-face` tiles; a capped report shows none of a small cluster).
 */
export function sectionIn(html: string, id: string): { faces: number } | undefined {
  const at = html.indexOf(`<section id="${id}"`);
  if (at < 0) return undefined;
  const end = html.indexOf('</section>', at);
  const body = html.slice(at, end < 0 ? undefined : end);
  return { faces: body.split('data-face=').length - 1 };
}
