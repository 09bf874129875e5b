#!/usr/bin/env node
// Builds build/Release/faceclust_core.node with cmake-js (from this package's node_modules).
//   --if-missing  skip when the addon already exists; on failure warn and exit 0 (install time: the
//                 pure-TypeScript backend of @faceclust/cluster takes over).
// Headers come from node-api-headers (package.json binary.napi_versions) and third_party/hnswlib, so
// nothing is downloaded.
//
// npm shows nothing of an install script that exits 0, so every outcome is also written to
// build/install-status.json ({ built, reason, fix, rebuild, when, ... }); src/native.ts puts its reason and
// fix into the loader's error, which @faceclust/cluster's fallback warning prints.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = path.join(root, 'build');
const addon = path.join(buildDir, 'Release', 'faceclust_core.node');
const statusFile = path.join(buildDir, 'install-status.json');
const logFile = path.join(buildDir, 'install.log');
const ifMissing = process.argv.includes('--if-missing');
const debug = process.argv.includes('--debug');

// The package manager running us (install, rebuild) is the one whose rebuild command the user has.
const agent = process.env.npm_config_user_agent ?? '';
const rebuild = agent.startsWith('pnpm/')
  ? 'pnpm rebuild @faceclust/core-native'
  : /^yarn\/[2-9]/.test(agent)
    ? 'yarn rebuild @faceclust/core-native'
    : 'npm rebuild @faceclust/core-native';

function record(status) {
  try {
    mkdirSync(buildDir, { recursive: true });
    const when = new Date().toISOString();
    const info = { node: process.version, platform: process.platform, arch: process.arch, packageManager: agent.split(' ')[0] || undefined };
    writeFileSync(statusFile, JSON.stringify({ ...status, rebuild, when, ...info }, null, 2) + '\n');
  } catch {
    // A read-only install still works: the loader then says the install script left no record.
  }
}

/** Records why nothing was built, tells whoever sees stderr (pnpm, a failing npm), and exits. */
function fail(reason, fix) {
  record({ built: false, reason, fix });
  console.error(`@faceclust/core-native: not built: ${reason}. Fix: ${fix}.`);
  if (ifMissing) {
    console.error('@faceclust/core-native: continuing without the native addon; @faceclust/cluster will use its pure-TypeScript backend.');
    process.exit(0);
  }
  process.exit(1);
}

function has(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** The command that installs `tools` (cmake, c++, make) here, as short as it can be said. */
function installCommand(tools) {
  if (process.platform === 'darwin') {
    const steps = [];
    if (tools.includes('c++') || tools.includes('make')) steps.push('xcode-select --install');
    if (tools.includes('cmake')) steps.push('brew install cmake');
    return steps.join(' && ');
  }
  if (process.platform === 'win32') return 'install CMake and Visual Studio Build Tools (Desktop development with C++)';
  const pkgs = (names) => tools.map((t) => names[t]).join(' ');
  // The distribution's own marker files: its package manager may be off this script's PATH.
  if (existsSync('/etc/debian_version')) return `apt-get install ${pkgs({ cmake: 'cmake', 'c++': 'g++', make: 'make' })}`;
  if (existsSync('/etc/fedora-release') || existsSync('/etc/redhat-release')) {
    return `dnf install ${pkgs({ cmake: 'cmake', 'c++': 'gcc-c++', make: 'make' })}`;
  }
  if (existsSync('/etc/alpine-release')) return `apk add ${pkgs({ cmake: 'cmake', 'c++': 'g++', make: 'make' })}`;
  return `install ${tools.map((t) => (t === 'c++' ? 'a C++17 compiler' : t)).join(' and ')}`;
}

if (ifMissing && existsSync(addon)) process.exit(0);

const cxx = process.env.CXX || 'c++';
const missing = [];
const said = [];
if (!has('cmake')) {
  missing.push('cmake');
  said.push('cmake');
}
if (!has(cxx) && !has('g++') && !has('clang++')) {
  missing.push('c++');
  said.push(`a C++ compiler (${[...new Set([cxx, 'g++', 'clang++'])].join(', ')})`);
}
// cmake-js generates for ninja when it is on PATH, else for make.
if (process.platform !== 'win32' && !has('ninja') && !has('make')) {
  missing.push('make');
  said.push('make (or ninja)');
}
if (missing.length > 0) {
  const list = said.length === 1 ? said[0] : `${said.slice(0, -1).join(', ')} and ${said.at(-1)}`;
  fail(`${list} ${said.length === 1 ? 'was' : 'were'} not found on PATH`, `${installCommand(missing)}, then ${rebuild}`);
}

let cmakeJs;
try {
  cmakeJs = createRequire(path.join(root, 'package.json')).resolve('cmake-js/bin/cmake-js');
} catch {
  fail('its dependency cmake-js is missing', 'reinstall @faceclust/core-native (npm install @faceclust/core-native)');
}

// Development: cmake-js reuses build/ and cmake only recompiles what changed, so a no-op build is cheap.
// Install/rebuild (the addon is missing): from scratch, since a cache left by a failed attempt keeps the
// compiler it found then, and the user has just installed or changed it.
const command = ifMissing ? 'rebuild' : existsSync(path.join(buildDir, 'CMakeCache.txt')) ? 'build' : 'compile';
const args = [cmakeJs, command, '--log-level', 'warn'];
if (debug) args.push('--debug');
const jobs = process.env.CMAKE_BUILD_PARALLEL_LEVEL ?? '2';

// Shown live and kept: when npm hides it, build/install.log still has the compiler's output.
const output = [];
const exit = await new Promise((resolve) => {
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CMAKE_BUILD_PARALLEL_LEVEL: jobs },
  });
  child.stdout.on('data', (chunk) => {
    output.push(chunk);
    process.stdout.write(chunk);
  });
  child.stderr.on('data', (chunk) => {
    output.push(chunk);
    process.stderr.write(chunk);
  });
  child.on('error', (error) => resolve(error.message));
  child.on('close', (code, signal) => resolve(signal ?? code));
});
try {
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(logFile, Buffer.concat(output));
} catch {
  // the record below still says what happened
}
if (exit !== 0) {
  fail(
    `compiling the native addon failed (cmake-js exited with ${exit})`,
    `read the compiler's output in ${logFile}, fix its cause, then ${rebuild}`,
  );
}
if (!existsSync(addon) && !debug) fail(`the build finished but ${addon} is missing`, `report it at https://github.com/faceclust/faceclust/issues`);
record({ built: true });
