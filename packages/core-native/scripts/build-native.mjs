#!/usr/bin/env node
// Builds build/Release/faceclust_core.node with cmake-js (from this package's node_modules).
//   --if-missing  skip when the addon already exists; on failure warn and exit 0 (install time: the
//                 pure-TypeScript backend of @faceclust/cluster takes over).
// Headers come from node-api-headers (package.json binary.napi_versions), so nothing is downloaded.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const addon = path.join(root, 'build', 'Release', 'faceclust_core.node');
const ifMissing = process.argv.includes('--if-missing');
const debug = process.argv.includes('--debug');

function fail(message) {
  console.error(`@faceclust/core-native: ${message}`);
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

if (ifMissing && existsSync(addon)) process.exit(0);

const aptHint = 'install it (Debian/Ubuntu: `apt-get install cmake g++`; macOS: `xcode-select --install && brew install cmake`)';
if (!has('cmake')) fail(`cmake was not found on PATH; ${aptHint}, then run \`npm rebuild @faceclust/core-native\`.`);
const cxx = process.env.CXX || 'c++';
if (!has(cxx) && !has('g++') && !has('clang++')) {
  fail(`no C++17 compiler was found (tried ${cxx}, g++, clang++); ${aptHint}, then run \`npm rebuild @faceclust/core-native\`.`);
}

let cmakeJs;
try {
  cmakeJs = createRequire(path.join(root, 'package.json')).resolve('cmake-js/bin/cmake-js');
} catch {
  fail('the cmake-js package is missing; run `pnpm install` (or `npm install`) first.');
}

// cmake-js reuses build/ and cmake only recompiles what changed, so a no-op build is cheap.
const args = [cmakeJs, existsSync(path.join(root, 'build', 'CMakeCache.txt')) ? 'build' : 'compile', '--log-level', 'warn'];
if (debug) args.push('--debug');
const jobs = process.env.CMAKE_BUILD_PARALLEL_LEVEL ?? '2';
const r = spawnSync(process.execPath, args, {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, CMAKE_BUILD_PARALLEL_LEVEL: jobs },
});
if (r.error || r.status !== 0) {
  fail(`building the native addon failed (cmake-js exited with ${r.error?.message ?? r.status}); see the compiler output above.`);
}
if (!existsSync(addon) && !debug) fail(`the build finished but ${addon} is missing.`);
