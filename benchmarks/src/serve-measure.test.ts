import { describe, expect, it } from 'vitest';
import { firstScreenScript, pageRequest, parseServeUrl, pickPeople, routeOf, sectionIn, summarize } from './serve-measure.js';

describe('summarize', () => {
  it.each([
    [[5], { n: 1, median: 5, min: 5, max: 5 }],
    [[3, 1, 2], { n: 3, median: 2, min: 1, max: 3 }],
    [[4, 1, 3, 2], { n: 4, median: 2.5, min: 1, max: 4 }],
    [[2, Number.NaN, 1, Number.POSITIVE_INFINITY], { n: 2, median: 1.5, min: 1, max: 2 }],
  ])('%j → %j', (values, expected) => {
    expect(summarize(values)).toEqual(expected);
  });

  it('is undefined for nothing', () => {
    expect(summarize([])).toBeUndefined();
    expect(summarize([Number.NaN])).toBeUndefined();
  });

  it('leaves its input in order', () => {
    const v = [3, 1, 2];
    summarize(v);
    expect(v).toEqual([3, 1, 2]);
  });
});

describe('parseServeUrl', () => {
  it('reads the origin and token of the URL line', () => {
    expect(parseServeUrl('http://127.0.0.1:40123/?token=abc_-9\n')).toEqual({ url: 'http://127.0.0.1:40123/?token=abc_-9', origin: 'http://127.0.0.1:40123', token: 'abc_-9' });
  });

  it.each([
    ['serving; Ctrl-C stops', "Expected faceclust serve's first stdout line to be its URL but received \"serving; Ctrl-C stops\""],
    ['http://127.0.0.1:40123/', 'Expected an http URL with ?token=… from faceclust serve but received "http://127.0.0.1:40123/"'],
    ['file:///tmp/x?token=a', 'Expected an http URL with ?token=… from faceclust serve but received "file:///tmp/x?token=a"'],
  ])('BAD LINE – %j', (line, message) => {
    expect(() => parseServeUrl(line)).toThrow(TypeError);
    expect(() => parseServeUrl(line)).toThrow(message);
  });
});

describe('pickPeople', () => {
  it('takes the largest (ties: lower id) and the median of the people with two faces or more', () => {
    const people = [{ id: 9, count: 1 }, { id: 4, count: 50 }, { id: 2, count: 50 }, { id: 7, count: 3 }, { id: 5, count: 10 }, { id: 8, count: 1 }];
    // with two or more, by count then id: 2 (50), 4 (50), 5 (10), 7 (3) → index 2
    expect(pickPeople(people)).toEqual({ largest: { id: 2, count: 50 }, mid: { id: 5, count: 10 } });
  });

  it('falls back to everyone when all were seen once, and is undefined for no people', () => {
    expect(pickPeople([{ id: 3, count: 1 }])).toEqual({ largest: { id: 3, count: 1 }, mid: { id: 3, count: 1 } });
    expect(pickPeople([])).toBeUndefined();
  });
});

describe('routeOf and pageRequest', () => {
  it.each([
    ['http://127.0.0.1:1/api/faces/1234/crop', '/api/faces/:id/crop'],
    ['http://127.0.0.1:1/api/people/17?limit=200', '/api/people/:id'],
    ['http://127.0.0.1:1/?token=x', '/'],
    ['http://127.0.0.1:1/assets/app.js', '/assets/app.js'],
    ['file:///tmp/o/report-001-cw-t1/faces/12.png', 'file *.png'],
    ['file:///tmp/o/report-001-cw-t1/report.html', 'file *.html (report-001-cw-t1/report.html)'],
  ])('%s → %s', (url, route) => {
    expect(routeOf(url)).toBe(route);
  });

  it('times a request from when it was sent, and counts it as cached when nothing was transferred for a body, never a file', () => {
    expect(pageRequest(['http://h/api/faces/1/crop', 100, 0, 102, 200, 0, 16000])).toEqual({ route: '/api/faces/:id/crop', ms: 2, queuedMs: 0, endMs: 102, status: 200, cached: true });
    expect(pageRequest(['http://h/api/faces/1/crop', 100, 130, 140, 200, 16300, 16000])).toEqual({ route: '/api/faces/:id/crop', ms: 10, queuedMs: 30, endMs: 140, status: 200, cached: false });
    expect(pageRequest(['file:///o/report.html', 0, 0, 3, 0, 0, 900])).toEqual({ route: 'file *.html (o/report.html)', ms: 3, queuedMs: 0, endMs: 3, cached: false });
  });
});

describe('firstScreenScript', () => {
  it('is one script that parses, with the anchor as a JSON string', () => {
    for (const [images, anchor] of [[true, undefined], [false, undefined], [true, 'cluster-"0</script>']] as const) {
      const script = firstScreenScript(images, anchor);
      expect(() => new Function(script)).not.toThrow();
      expect(script).toContain(`const anchorId = ${JSON.stringify(anchor ?? null)};`);
    }
  });
});

describe('sectionIn', () => {
  const html = '<section id="cluster-1"><h2>Cluster 1</h2><div class="grid"><a class="t s0" data-face="4"></a><a data-face="9"></a></div></section>\n<section id="cluster-12"><h2>Cluster 12</h2><p>3 faces, not shown here</p></section>';
  it.each([
    ['cluster-1', { faces: 2 }],
    ['cluster-12', { faces: 0 }],
    ['cluster-2', undefined],
  ])('#%s → %j', (id, expected) => {
    expect(sectionIn(html, id)).toEqual(expected);
  });
});
