/**
 * A benchmark's command-line arguments: `pnpm --filter @faceclust/benchmarks bench:x -- --n 1000` hands the
 * script a leading `--` (pnpm 10 passes it through), which node's parseArgs would take for the end of the
 * options.
 */
export function benchArgs(argv: readonly string[] = process.argv.slice(2)): string[] {
  return argv[0] === '--' ? argv.slice(1) : [...argv];
}
