import os from 'node:os';
import { readFileSync } from 'node:fs';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  arch: string;
  node: string;
  cpuFlags: string[];
}

export function machineInfo(): MachineInfo {
  let cpuFlags: string[] = [];
  try {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    const flags = /^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? '';
    cpuFlags = flags.split(/\s+/).filter((f) => /^(avx|fma|amx|sse4|f16c)/.test(f));
  } catch {
    // Not Linux: the flags are informative only.
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: os.platform(),
    arch: os.arch(),
    node: process.version,
    cpuFlags,
  };
}
