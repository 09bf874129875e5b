import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireWriteLock, LOCK_FILE } from './lock.js';
import { UsageError } from './options.js';
import { highestNumberedOutput, makeDirs, OutputError, outputFolderMark, prepareOutDir, publishFile, reserveCall } from './output.js';
import { tempDir } from './test-helpers.js';

const dir = tempDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('output folder', () => {
  it('makeDirs creates missing parents one level at a time and fails fast under /proc', () => {
    const deep = path.join(dir, 'a', 'b', 'c');
    makeDirs(deep);
    expect(fs.statSync(deep).isDirectory()).toBe(true);
    makeDirs(deep); // exists: nothing to do
    expect(() => makeDirs('/proc/nope/deeper')).toThrow(/ENOENT|EACCES|EPERM/);
  });

  it('recognises a faceclust output by its store or its log, not by name', () => {
    const d = path.join(dir, 'mark');
    fs.mkdirSync(d);
    expect(outputFolderMark(d)).toBeUndefined();
    fs.writeFileSync(path.join(d, 'log.txt'), 'my notes');
    expect(outputFolderMark(d)).toBeUndefined();
    fs.writeFileSync(path.join(d, 'log.txt'), '=== faceclust call 001');
    expect(outputFolderMark(d)).toBe('it holds a faceclust log.txt');
  });

  it('refuses a folder of someone else\'s files, and a file', () => {
    const d = path.join(dir, 'theirs');
    fs.mkdirSync(d);
    for (const f of ['a.txt', 'b.txt', 'c.txt', 'd.txt']) fs.writeFileSync(path.join(d, f), 'x');
    expect(() => prepareOutDir(d)).toThrow(UsageError);
    expect(() => prepareOutDir(d)).toThrow('(it holds 4 entries: a.txt, b.txt, c.txt, …)');
    expect(() => prepareOutDir(path.join(d, 'a.txt'))).toThrow(`Output folder ${path.join(d, 'a.txt')} is a file, not a folder`);
    // a lock left behind before any store existed does not make the folder someone else's
    const e = path.join(dir, 'only a lock');
    fs.mkdirSync(e);
    fs.writeFileSync(path.join(e, LOCK_FILE), '{}');
    expect(prepareOutDir(e)).toBe(e);
  });

  it('highestNumberedOutput reads call numbers from output names and the old counter folder', () => {
    const d = path.join(dir, 'numbers');
    fs.mkdirSync(path.join(d, '.faceclust-calls', '012'), { recursive: true });
    fs.writeFileSync(path.join(d, 'clusters-003-cw-t1.xlsx'), '');
    fs.mkdirSync(path.join(d, 'report-009-dbscan-e0.9-m2'));
    expect(highestNumberedOutput(d)).toBe(12);
    fs.rmSync(path.join(d, '.faceclust-calls'), { recursive: true });
    expect(highestNumberedOutput(d)).toBe(9);
  });

  it('reserveCall takes numbers from the store above every number in use, never twice', () => {
    const d = prepareOutDir(path.join(dir, 'calls'));
    expect(reserveCall(d)).toBe(1);
    expect(reserveCall(d)).toBe(2);
    fs.writeFileSync(path.join(d, 'clusters-040-cw-t1.xlsx'), '');
    expect(reserveCall(d)).toBe(41);
    fs.rmSync(path.join(d, 'clusters-040-cw-t1.xlsx'));
    expect(reserveCall(d)).toBe(42);
  });

  it('publishFile never replaces a file: the clash is an OutputError naming it, the old bytes stay', () => {
    const d = path.join(dir, 'publish');
    fs.mkdirSync(d);
    const file = path.join(d, 'x.xlsx');
    fs.writeFileSync(`${file}.tmp`, 'new');
    publishFile(`${file}.tmp`, file);
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);
    fs.writeFileSync(`${file}.tmp`, 'newer');
    expect(() => publishFile(`${file}.tmp`, file)).toThrow(OutputError);
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    fs.writeFileSync(`${file}.tmp`, 'newer');
    expect(() => publishFile(`${file}.tmp`, file)).toThrow(`Could not write ${file}: it already exists, and faceclust never overwrites a file`);
  });
});

describe('write lock', () => {
  it('is exclusive, names its holder, is released, and a dead holder\'s lock is taken over', () => {
    const d = path.join(dir, 'lock');
    fs.mkdirSync(d);
    const release = acquireWriteLock(d, 'faceclust run photos');
    const info = JSON.parse(fs.readFileSync(path.join(d, LOCK_FILE), 'utf8'));
    expect(info).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'faceclust run photos' });
    expect(() => acquireWriteLock(d, 'second')).toThrow(new RegExp(`^${d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by faceclust \\(pid ${process.pid}, started .*: faceclust run photos\\)`));
    release();
    expect(fs.existsSync(path.join(d, LOCK_FILE))).toBe(false);
    // a pid that no longer runs (the highest pid Linux allows is 4194304)
    fs.writeFileSync(path.join(d, LOCK_FILE), JSON.stringify({ pid: 4194305, host: os.hostname(), started: 'then', command: 'killed' }));
    const again = acquireWriteLock(d, 'third');
    expect(JSON.parse(fs.readFileSync(path.join(d, LOCK_FILE), 'utf8')).command).toBe('third');
    again();
    // the same pid but another process start (a reused pid) is stale too
    fs.writeFileSync(path.join(d, LOCK_FILE), JSON.stringify({ pid: process.pid, startTicks: 1, host: os.hostname(), started: 'then', command: 'old' }));
    acquireWriteLock(d, 'fourth')();
    // another host cannot be checked: assumed alive
    fs.writeFileSync(path.join(d, LOCK_FILE), JSON.stringify({ pid: 1, host: 'elsewhere', started: 'then', command: 'remote' }));
    expect(() => acquireWriteLock(d, 'fifth')).toThrow(/in use by faceclust \(pid 1 on elsewhere/);
  });
});
