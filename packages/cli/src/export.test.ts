/**
 * `faceclust export`: the sidecar writer on its own (parsed back with a namespace-aware XML parser), then
 * the real CLI on a copy of photos-small (plus one photo with an EXIF rotation, in a deeper folder):
 * csv read back with an RFC 4180 reader, json, and XMP sidecars checked against the MWG regions schema,
 * the stored boxes, the photos' displayed sizes and the mirror layout; `--next-to-photos` never replaces a
 * foreign .xmp.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DOMParser, type Element } from '@xmldom/xmldom';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportPeople, isOwnSidecar, sidecarXml, XMP_NS } from './export.js';
import { dataDir, hasBin, hasData, runCli, scratchDir, storeFaces } from './test-helpers.js';

/** RFC 4180: fields separated by commas, records by CRLF; a quoted field may hold commas, CRLF and "" for a quote. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`a quote inside an unquoted field at ${i}`);
        field += text[i++];
      }
    }
    row.push(field);
    if (text[i] === ',') i++;
    else if (text.startsWith('\r\n', i)) {
      rows.push(row);
      row = [];
      i += 2;
    } else if (i < text.length) throw new Error(`expected , or CRLF at ${i}, found ${JSON.stringify(text[i])}`);
  }
  if (row.length) throw new Error('the last record has no CRLF');
  return rows;
}

interface Region { name: string; type: string; x: number; y: number; w: number; h: number; unit: string }
interface Sidecar { width: number; height: number; dimUnit: string; regions: Region[]; doc: ReturnType<DOMParser['parseFromString']> }

/** A property of an RDF node: an attribute in namespace `ns`, or a child element's text (both serialisations are RDF). */
function prop(el: Element, ns: string, local: string): string {
  if (el.hasAttributeNS(ns, local)) return el.getAttributeNS(ns, local)!;
  const child = Array.from(el.childNodes).find((n) => n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === local) as Element | undefined;
  if (!child) throw new Error(`no ${local} in ${el.nodeName}`);
  return child.textContent ?? '';
}

function only(list: ArrayLike<Element>, what: string): Element {
  expect(list.length, what).toBe(1);
  return list[0]!;
}

/** Parses a sidecar with xmldom (every warning fails) and reads its MWG regions by namespace URI, not by prefix. */
function readSidecar(text: string): Sidecar {
  const doc = new DOMParser({ onError: (level, msg) => { throw new Error(`${level}: ${msg}`); } }).parseFromString(text, 'text/xml');
  const root = doc.documentElement!;
  expect([root.namespaceURI, root.localName]).toEqual([XMP_NS.x, 'xmpmeta']);
  const rs = XMP_NS['mwg-rs'];
  const regions = only(doc.getElementsByTagNameNS(rs, 'Regions'), 'one mwg-rs:Regions');
  expect(regions.getAttributeNS(XMP_NS.rdf, 'parseType')).toBe('Resource');
  expect((regions.parentNode as Element).namespaceURI).toBe(XMP_NS.rdf);
  const dims = only(regions.getElementsByTagNameNS(rs, 'AppliedToDimensions'), 'one AppliedToDimensions');
  const bag = only(only(regions.getElementsByTagNameNS(rs, 'RegionList'), 'one RegionList').getElementsByTagNameNS(XMP_NS.rdf, 'Bag'), 'one rdf:Bag');
  const items = Array.from(bag.childNodes).filter((n) => n.nodeType === 1) as Element[];
  return {
    width: Number(prop(dims, XMP_NS.stDim, 'w')),
    height: Number(prop(dims, XMP_NS.stDim, 'h')),
    dimUnit: prop(dims, XMP_NS.stDim, 'unit'),
    regions: items.map((li) => {
      expect([li.namespaceURI, li.localName]).toEqual([XMP_NS.rdf, 'li']);
      const d = li.getAttributeNS(XMP_NS.rdf, 'parseType') === 'Resource' ? li : only(li.getElementsByTagNameNS(XMP_NS.rdf, 'Description'), 'one rdf:Description per li');
      const area = only(d.getElementsByTagNameNS(rs, 'Area'), 'one mwg-rs:Area');
      const num = (k: string) => Number(prop(area, XMP_NS.stArea, k));
      return { name: prop(d, rs, 'Name'), type: prop(d, rs, 'Type'), x: num('x'), y: num('y'), w: num('w'), h: num('h'), unit: prop(area, XMP_NS.stArea, 'unit') };
    }),
    doc,
  };
}

/** The pixel box a normalised MWG area stands for (x, y are its centre). */
function pixelBox(r: Region, s: { width: number; height: number }): [number, number, number, number] {
  return [(r.x - r.w / 2) * s.width, (r.y - r.h / 2) * s.height, r.w * s.width, r.h * s.height];
}

function clip([x, y, w, h]: readonly number[], s: { width: number; height: number }): [number, number, number, number] {
  const x0 = Math.min(Math.max(x!, 0), s.width), y0 = Math.min(Math.max(y!, 0), s.height);
  return [x0, y0, Math.min(Math.max(x! + w!, 0), s.width) - x0, Math.min(Math.max(y! + h!, 0), s.height) - y0];
}

function expectClose(a: readonly number[], b: readonly number[], tol = 1e-6): void {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]!), `${a} vs ${b}`).toBeLessThanOrEqual(tol));
}

/** exiftool, when installed: a second, independent reader of MWG regions. */
const exiftool = (() => {
  const r = spawnSync('which', ['exiftool'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
})();

const TRICKY = `O'Brien & <Sons> "Zoë", 東京 🙂`;

describe('sidecarXml: MWG face regions', () => {
  it('binds mwg-rs, stArea and stDim to their URIs; areas are the boxes\' centres and sizes normalised; names escaped and round-tripped', () => {
    const size = { width: 400, height: 300 };
    const text = sidecarXml(size, [{ name: TRICKY, box: [100, 60, 80, 90] }, { name: 'two\nlines\tand a tab', box: [0.5, 1.25, 10.125, 20.0625] }]);
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<x:xmpmeta')).toBe(true);
    const s = readSidecar(text);
    expect([s.width, s.height, s.dimUnit]).toEqual([400, 300, 'pixel']);
    expect(s.regions.map((r) => [r.name, r.type, r.unit])).toEqual([[TRICKY, 'Face', 'normalized'], ['two\nlines\tand a tab', 'Face', 'normalized']]);
    expectClose([s.regions[0]!.x, s.regions[0]!.y, s.regions[0]!.w, s.regions[0]!.h], [140 / 400, 105 / 300, 80 / 400, 90 / 300], 1e-12);
    expectClose(pixelBox(s.regions[1]!, size), [0.5, 1.25, 10.125, 20.0625]);
    // the prefixes are the conventional ones too (some readers match them literally)
    const desc = s.doc.getElementsByTagNameNS(XMP_NS.rdf, 'Description')[0]!;
    for (const p of ['mwg-rs', 'stArea', 'stDim'] as const) expect(desc.lookupNamespaceURI(p)).toBe(XMP_NS[p]);
  });

  it('clips a box that reaches past the photo\'s edge (MWG areas lie within [0, 1]); no exponent notation', () => {
    const s = readSidecar(sidecarXml({ width: 1000, height: 500 }, [{ name: 'a', box: [-20, 450, 100, 100] }, { name: 'b', box: [0, 0, 0.0000004, 1] }]));
    expectClose(pixelBox(s.regions[0]!, { width: 1000, height: 500 }), [0, 450, 80, 50]);
    for (const r of s.regions) for (const v of [r.x, r.y, r.w, r.h]) expect(v >= 0 && v <= 1).toBe(true);
    expect(sidecarXml({ width: 1000, height: 500 }, [{ name: 'b', box: [0, 0, 0.0000004, 1] }])).not.toMatch(/\de-\d/);
  });

  it('knows its own sidecars: the mark\'s digest fails once anybody changes a byte, and a foreign XMP is not ours', () => {
    const text = sidecarXml({ width: 10, height: 10 }, [{ name: 'Ann', box: [1, 1, 2, 2] }]);
    expect(isOwnSidecar(text)).toBe(true);
    expect(isOwnSidecar(text.replace('Ann', 'Anne'))).toBe(false);
    expect(isOwnSidecar(`${text} `)).toBe(false);
    expect(isOwnSidecar('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>')).toBe(false);
  });

  it('BAD CALL – an unknown format or sidecar naming names the option, the choices and what was received', async () => {
    await expect(exportPeople('nowhere', { format: 'xml' as never })).rejects.toThrow(new RangeError(`Expected format to be one of 'csv', 'json', 'xmp' but received "xml" of type string`));
    await expect(exportPeople('nowhere', { format: 3 as never })).rejects.toThrow(TypeError);
    await expect(exportPeople('nowhere', { format: 'xmp', sidecarName: 'strip' as never })).rejects.toThrow(`Expected sidecarName to be one of 'ext', 'replace' but received "strip"`);
    await expect(exportPeople('nowhere', { format: 'xmp', nextToPhotos: true, to: 'x' })).rejects.toThrow('--to and --next-to-photos exclude each other');
  });
});

interface Person { id: number; name: string | null; faces: { faceId: number; file: string; face: number }[] }

// each CLI call starts node and reads the store: about a second
describe.skipIf(!hasData || !hasBin)('faceclust export (real CLI, photos-small and one rotated photo)', { timeout: 60_000 }, () => {
  let dir: string;
  let photos: string;
  let out: string;
  let people: Person[];
  let named: Person;
  let second: Person;
  const faces = () => new Map(storeFaces(out).map((f) => [f.id, f]));
  const exportJson = async (...args: string[]) => {
    const r = await runCli(['export', '--out', out, '--json', ...args]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { people: number; faces: number; photos: number; to: string | null; files: string[]; unchanged: string[]; removed: string[]; skipped: unknown[]; root?: string };
  };
  /** Each photo's size as displayed: sharp applies the EXIF orientation. */
  const displayed = async (file: string) => {
    const m = await sharp(file).metadata();
    return { width: m.autoOrient.width, height: m.autoOrient.height };
  };

  beforeAll(async () => {
    dir = scratchDir();
    photos = path.join(dir, 'photos');
    fs.cpSync(path.join(dataDir, 'photos-small'), photos, { recursive: true });
    // the same photo stored sideways with "rotate 90° to display" (orientation 6): its displayed size is swapped
    fs.mkdirSync(path.join(photos, 'extra', 'deeper'), { recursive: true });
    await sharp(path.join(photos, 'obama', 'obama.jpg')).rotate(-90).withMetadata({ orientation: 6 }).jpeg().toFile(path.join(photos, 'extra', 'deeper', 'obama-sideways.jpg'));
    out = path.join(dir, 'out');
    const r = await runCli(['run', photos, '--out', out, '--threads', '2', '-q']);
    expect(r.code, r.stderr).toBe(0);
    people = JSON.parse((await runCli(['people', '--out', out, '--json'])).stdout).people;
    named = people.find((p) => p.faces.some((f) => f.file.endsWith('obama-sideways.jpg')))!;
    second = people.find((p) => p !== named && p.faces.length > 0)!;
    expect((await runCli(['name', String(named.id), TRICKY, '--out', out])).code).toBe(0);
    expect((await runCli(['name', String(second.id), 'Line one\nLine two', '--out', out])).code).toBe(0);
    people = JSON.parse((await runCli(['people', '--out', out, '--json'])).stdout).people;
  }, 240_000);

  it('the rotated photo joins its person (the fixture works as meant)', async () => {
    expect(named.faces.map((f) => path.relative(photos, f.file)).sort()).toEqual(expect.arrayContaining(['extra/deeper/obama-sideways.jpg', 'obama/obama.jpg']));
    const raw = await sharp(path.join(photos, 'extra', 'deeper', 'obama-sideways.jpg')).metadata();
    expect([raw.orientation, raw.width, raw.height]).toEqual([6, (await displayed(path.join(photos, 'obama', 'obama.jpg'))).height, (await displayed(path.join(photos, 'obama', 'obama.jpg'))).width]);
  });

  it('csv on stdout: RFC 4180 (UTF-8, no BOM, CRLF, quoted names), one row per face of every person, boxes and scores exact', async () => {
    const r = await runCli(['export', '--format', 'csv', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.charCodeAt(0)).not.toBe(0xfeff);
    expect(r.stdout.endsWith('\r\n')).toBe(true);
    const [header, ...rows] = parseCsv(r.stdout);
    expect(header).toEqual(['person', 'name', 'file', 'face', 'face_id', 'x', 'y', 'width', 'height', 'score']);
    const byFace = faces();
    expect(rows.length).toBe(people.reduce((s, p) => s + p.faces.length, 0));
    expect(rows.map((row) => Number(row[4])).sort()).toEqual(people.flatMap((p) => p.faces.map((f) => f.faceId)).sort());
    for (const [person, name, file, face, faceId, x, y, w, h, score] of rows) {
      const p = people.find((q) => q.id === Number(person))!;
      expect(name).toBe(p.name ?? '');
      const f = byFace.get(Number(faceId))!;
      expect([file, Number(face)]).toEqual([f.file, f.faceIndex]);
      expect([x, y, w, h, score].map(Number)).toEqual([...f.box, f.score]);
    }
    expect(rows.filter((row) => row[1] === TRICKY).length).toBe(named.faces.length);
    expect(rows.filter((row) => row[1] === 'Line one\nLine two').length).toBe(second.faces.length);
    expect(r.stderr).toMatch(/exported \d+ faces of \d+ people in \d+ photos/);
  });

  it('json to a file: the people as `people --json` lists them, each face with its box and score; --only-named keeps the named', async () => {
    const file = path.join(dir, 'export', 'people.json');
    const summary = await exportJson('--format', 'json', '--to', file);
    expect(summary).toMatchObject({ to: file, files: [file], people: people.filter((p) => p.faces.length).length });
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { people: { id: number; name: string | null; faces: { faceId: number; file: string; face: number; box: { x: number; y: number; width: number; height: number }; score: number }[] }[] };
    const byFace = faces();
    expect(json.people.map((p) => ({ id: p.id, name: p.name, faces: p.faces.map(({ faceId, file: f, face }) => ({ faceId, file: f, face })) }))).toEqual(people.filter((p) => p.faces.length));
    for (const f of json.people.flatMap((p) => p.faces)) {
      const stored = byFace.get(f.faceId)!;
      expect([f.box.x, f.box.y, f.box.width, f.box.height, f.score]).toEqual([...stored.box, stored.score]);
    }
    await exportJson('--format', 'json', '--to', file, '--only-named');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).people.map((p: Person) => p.name).sort()).toEqual([TRICKY, 'Line one\nLine two'].sort());
  });

  it('xmp: a sidecar per photo with a named face, mirroring the photos\' folders under <out>/xmp; MWG regions match the stored boxes and displayed sizes', async () => {
    const summary = await exportJson('--format', 'xmp');
    const withNamed = [...new Set([...named.faces, ...second.faces].map((f) => f.file))].sort();
    expect(summary.root).toBe(photos);
    expect(summary.to).toBe(path.join(out, 'xmp'));
    expect(summary.files).toEqual(withNamed.map((f) => path.join(out, 'xmp', `${path.relative(photos, f)}.xmp`)));
    expect(summary).toMatchObject({ people: 2, faces: named.faces.length + second.faces.length, photos: withNamed.length, unchanged: [], removed: [], skipped: [] });
    const byFace = faces();
    for (const photo of withNamed) {
      const s = readSidecar(fs.readFileSync(path.join(out, 'xmp', `${path.relative(photos, photo)}.xmp`), 'utf8'));
      const size = await displayed(photo);
      expect([s.width, s.height, s.dimUnit]).toEqual([size.width, size.height, 'pixel']);
      const expected = [...byFace.values()].filter((f) => f.file === photo && [named, second].some((p) => p.faces.some((q) => q.faceId === f.id))).sort((a, b) => a.faceIndex - b.faceIndex);
      expect(s.regions.length).toBe(expected.length);
      s.regions.forEach((r, i) => {
        const f = expected[i]!;
        expect([r.name, r.type, r.unit]).toEqual([named.faces.some((q) => q.faceId === f.id) ? TRICKY : 'Line one\nLine two', 'Face', 'normalized']);
        expectClose(pixelBox(r, size), clip(f.box, size));
      });
    }
    // the sideways photo: the box is in displayed pixels and the dimensions are the displayed (swapped) ones
    const sideways = readSidecar(fs.readFileSync(path.join(out, 'xmp', 'extra', 'deeper', 'obama-sideways.jpg.xmp'), 'utf8'));
    expect(sideways.height).toBeGreaterThan(sideways.width);
    // nothing was written beside the photos
    expect(fs.readdirSync(photos, { recursive: true }).filter((f) => String(f).endsWith('.xmp'))).toEqual([]);
  });

  it.skipIf(!exiftool)('exiftool reads the same regions (skipped without exiftool: apt-get install libimage-exiftool-perl)', () => {
    const file = path.join(out, 'xmp', 'extra', 'deeper', 'obama-sideways.jpg.xmp');
    const r = spawnSync(exiftool!, ['-j', '-struct', '-XMP-mwg-rs:RegionInfo', file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const info = (JSON.parse(r.stdout) as { RegionInfo: { AppliedToDimensions: { W: number; H: number; Unit: string }; RegionList: { Name: string; Type: string; Area: { X: number; Y: number; W: number; H: number; Unit: string } }[] } }[])[0]!.RegionInfo;
    const s = readSidecar(fs.readFileSync(file, 'utf8'));
    expect(info.AppliedToDimensions).toEqual({ W: s.width, H: s.height, Unit: 'pixel' });
    expect(info.RegionList.map((g) => ({ name: g.Name, type: g.Type, x: g.Area.X, y: g.Area.Y, w: g.Area.W, h: g.Area.H, unit: g.Area.Unit }))).toEqual(s.regions);
    expect(info.RegionList[0]!.Name).toBe(TRICKY);
  });

  it('xmp again: unchanged sidecars are left alone; a name removed removes its sidecars; --include-unnamed names regions "person <id>"', async () => {
    const again = await exportJson('--format', 'xmp');
    expect(again.files).toEqual([]);
    expect(again.unchanged.length).toBe(new Set([...named.faces, ...second.faces].map((f) => f.file)).size);
    expect((await runCli(['name', String(second.id), '', '--out', out])).code).toBe(0);
    const after = await exportJson('--format', 'xmp');
    const onlySecond = [...new Set(second.faces.map((f) => f.file))].filter((f) => !named.faces.some((q) => q.file === f));
    expect(after.removed.sort()).toEqual(onlySecond.map((f) => path.join(out, 'xmp', `${path.relative(photos, f)}.xmp`)).sort());
    for (const f of after.removed) expect(fs.existsSync(f)).toBe(false);
    const all = await exportJson('--format', 'xmp', '--include-unnamed', '--to', path.join(dir, 'all-xmp'));
    expect(all.faces).toBe(people.reduce((s, p) => s + p.faces.length, 0));
    const s = readSidecar(fs.readFileSync(path.join(dir, 'all-xmp', `${path.relative(photos, second.faces[0]!.file)}.xmp`), 'utf8'));
    expect(s.regions.map((r) => r.name)).toContain(`person ${second.id}`);
    expect((await runCli(['name', String(second.id), 'Line one\nLine two', '--out', out])).code).toBe(0);
  });

  it('--next-to-photos refuses, writing nothing, while a foreign .xmp sits beside a photo (left byte for byte); then writes beside them, and refuses one changed by hand', async () => {
    const target = named.faces.find((f) => f.file.endsWith('obama/obama.jpg'))!.file;
    const foreign = `${target}.xmp`;
    const bytes = Buffer.from('<?xml version="1.0"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/"><!-- Lightroom\'s --></x:xmpmeta>\n');
    fs.writeFileSync(foreign, bytes);
    const refused = await runCli(['export', '--format', 'xmp', '--next-to-photos', '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`1 sidecar already exists and was not written by faceclust (or changed since); faceclust never replaces them, so nothing was written:\n  ${foreign}\n`);
    expect(fs.readFileSync(foreign).equals(bytes)).toBe(true);
    expect(fs.readdirSync(photos, { recursive: true }).filter((f) => String(f).endsWith('.xmp'))).toEqual(['obama/obama.jpg.xmp']);
    fs.rmSync(foreign);

    const beside = await exportJson('--format', 'xmp', '--next-to-photos', '--sidecar-name', 'replace');
    expect(beside.to).toBeNull();
    expect(beside.files).toContain(path.join(photos, 'obama', 'obama.xmp'));
    expect(beside.files.every((f) => named.faces.concat(second.faces).some((q) => q.file.replace(/\.[^.]+$/, '.xmp') === f))).toBe(true);
    expect(readSidecar(fs.readFileSync(path.join(photos, 'obama', 'obama.xmp'), 'utf8')).regions[0]!.name).toBe(TRICKY);
    // no temporary files left behind
    expect(fs.readdirSync(path.join(photos, 'obama')).filter((f) => f.includes('partial'))).toEqual([]);

    fs.appendFileSync(path.join(photos, 'obama', 'obama.xmp'), '<!-- edited -->\n');
    const edited = await runCli(['export', '--format', 'xmp', '--next-to-photos', '--sidecar-name', 'replace', '--out', out]);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain(path.join(photos, 'obama', 'obama.xmp'));
  });

  it('BAD CALL – --format names the choices; a --to that puts sidecars beside the photos, or --json over a stdout export, is refused', async () => {
    const bad = await runCli(['export', '--format', 'x', '--out', out]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`Invalid value for --format: expected one of 'csv', 'json', 'xmp' but received "x"`);
    const beside = await runCli(['export', '--format', 'xmp', '--to', photos, '--out', out]);
    expect(beside.code).toBe(1);
    expect(beside.stderr).toMatch(/would put the sidecars beside the photos .*give --next-to-photos/);
    const json = await runCli(['export', '--format', 'csv', '--json', '--out', out]);
    expect(json.code).toBe(1);
    expect(json.stderr).toContain('give --to FILE');
    expect((await runCli(['export', '--format', 'csv', '--include-unnamed', '--out', out])).stderr).toContain('--include-unnamed applies to --format xmp');
  });
});
