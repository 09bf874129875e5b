/**
 * Progress on stderr: a cli-progress bar with rate and time left while a terminal watches, nothing
 * otherwise (pipes, files, CI, --quiet), so redirected output stays clean.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  start(total: number): void;
  update(done: number): void;
  stop(): void;
}

/** Whether a bar should be drawn: stderr is a terminal and so is stdout (unless stdout carries --json). */
export function progressEnabled(opts: { quiet?: boolean; json?: boolean }): boolean {
  return !opts.quiet && Boolean(process.stderr.isTTY) && (Boolean(process.stdout.isTTY) || Boolean(opts.json));
}

export function createProgress(label: string, enabled: boolean, unit = 'photos'): Progress {
  if (!enabled) return { start() {}, update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} {bar} {percentage}% | {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let t0 = 0;
  return {
    start(total) {
      t0 = Date.now();
      bar.start(total, 0, { rate: '–' });
    },
    update(done) {
      const s = (Date.now() - t0) / 1000;
      bar.update(done, { rate: s > 0 ? (done / s).toFixed(1) : '–' });
    },
    stop() {
      bar.stop();
    },
  };
}
