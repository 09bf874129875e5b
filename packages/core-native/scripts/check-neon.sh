#!/bin/sh
# Checks the NEON kernels on an x86 machine: cross-compile the core with the arm64 table and run it under
# qemu. Needs `apt-get install g++-aarch64-linux-gnu qemu-user`. Exits non-zero on any difference.
set -eu
cd "$(dirname "$0")/.."
NAA=$(node -p "require('path').resolve(require('node-addon-api').include_dir)")
NAH=$(node -p "require('path').join(require('path').dirname(require.resolve('node-api-headers/package.json', {paths:[require.resolve('cmake-js')]})), 'include')")
OUT=${TMPDIR:-/tmp}/faceclust-neon-check
aarch64-linux-gnu-g++ -std=c++17 -O2 -ffp-contract=off -DFACECLUST_HAVE_NEON -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS \
  -DNODE_ADDON_API_DISABLE_DEPRECATED -Isrc -I"$NAA" -I"$NAH" test/neon-check.cc src/radius_graph.cc \
  src/kernels/neon.cc src/kernels/scalar.cc -static -pthread -Wl,--unresolved-symbols=ignore-all -o "$OUT"
qemu-aarch64 "$OUT"
