/** `faceclust calls`: every call of an output folder, as its store records them. */
import fs from 'node:fs';
import path from 'node:path';
import { FaceStore, type CallRow } from '@faceclust/embed';
import { Command } from 'commander';
import { DEFAULTS, UsageError } from '../options.js';
import { STORE_FILE } from '../output.js';
import type { CallRecord } from '../result.js';
import { EXIT, failure, Ui } from './common.js';

interface CallsFlags {
  out: string;
  json?: boolean;
  quiet?: boolean;
}

/** One entry of `faceclust calls --json`: the store's row, with a clustering's record flattened in. */
export interface CallListEntry {
  call: number;
  kind: string;
  status: CallRow['status'];
  started: string;
  finished?: string;
  command: string;
  error?: string;
  method?: CallRecord['method'];
  params?: CallRecord['params'];
  faces?: number;
  clusters?: number;
  noise?: number;
  timings?: CallRecord['timings'];
}

/** The calls recorded in `<out>/faces.sqlite`, oldest first. */
export function listCalls(out: string): CallListEntry[] {
  const file = path.join(path.resolve(out), STORE_FILE);
  if (!fs.existsSync(file)) throw new UsageError(`No embedding store at ${file}: no calls to list`);
  const store = FaceStore.open(file);
  try {
    return store.listCalls().map((c) => {
      const r = c.record as Partial<CallRecord> | undefined;
      return {
        call: c.id, kind: c.kind, status: c.status, started: c.startedAt, ...(c.finishedAt ? { finished: c.finishedAt } : {}), command: c.command,
        ...(c.error ? { error: c.error } : {}),
        ...(r?.method ? { method: r.method, params: r.params, faces: r.faces, clusters: r.clusters, noise: r.noise, timings: r.timings } : {}),
      };
    });
  } finally {
    store.close();
  }
}

/** A table for people: one row per call. */
export function callsTable(calls: CallListEntry[]): string {
  const rows = calls.map((c) => [
    String(c.call), c.started.replace('T', ' ').slice(0, 19), c.method ?? c.kind,
    c.params ? Object.entries(c.params).map(([k, v]) => `${k}=${v}`).join(' ') : '', String(c.faces ?? ''), String(c.clusters ?? ''), String(c.noise ?? ''),
    c.status === 'failed' ? `failed: ${c.error ?? ''}` : c.status,
  ]);
  const header = ['call', 'started', 'method', 'parameters', 'faces', 'clusters', 'no_class', 'status'];
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
  const line = (r: string[]) => r.map((v, k) => (k === 0 || (k >= 4 && k <= 6) ? v.padStart(widths[k]!) : v.padEnd(widths[k]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function callsCommand(): Command {
  const cmd = new Command('calls')
    .description('list the calls of an output folder (clusterings, tunes) as its store records them')
    .option('-o, --out <dir>', 'output folder', DEFAULTS.out)
    .option('--json', 'print { "calls": [ { call, kind, status, started, finished, command, method, params, faces, clusters, noise, timings } ] }')
    .option('-q, --quiet', 'no messages except errors');
  cmd.action((flags: CallsFlags) => {
    const ui = new Ui(flags);
    try {
      const calls = listCalls(flags.out);
      if (flags.json) process.stdout.write(`${JSON.stringify({ calls })}\n`);
      else if (!flags.quiet) process.stdout.write(calls.length ? `${callsTable(calls)}\n` : 'no calls yet\n');
      process.exitCode = EXIT.ok;
    } catch (err) {
      process.exitCode = failure(err, ui);
    }
  });
  return cmd;
}
