/** `faceclust serve`: the review page over an output folder; its URL (with the token) is stdout's first line. */
import { spawn } from 'node:child_process';
import { Command } from 'commander';
import { DEFAULTS, parseNumberFlag } from '../options.js';
import { isLoopback } from '../serve/auth.js';
import { startServer } from '../serve/server.js';
import { EXIT, failure, Ui } from './common.js';

interface ServeFlags {
  out: string;
  port: string;
  host?: string;
  open: boolean;
  quiet?: boolean;
}

/**
 * Opens `url` in the desktop's browser when there is a desktop to open it on (macOS, Windows, or a Linux
 * session with a display) and stdout is a terminal; otherwise (ssh, CI, a script) nothing: the URL is printed.
 */
function openBrowser(url: string): boolean {
  const linuxDisplay = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
  const opener = process.platform === 'darwin' ? ['open', [url]] as const
    : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] as const
    : linuxDisplay ? ['xdg-open', [url]] as const : undefined;
  if (!opener || !process.stdout.isTTY) return false;
  const child = spawn(opener[0], [...opener[1]], { stdio: 'ignore', detached: true });
  child.on('error', () => {}); // no opener installed: the printed URL is enough
  child.unref();
  return true;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description("review and correct the output folder's people in the browser: prints the page's URL (with its token) and opens it when there is a display; the JSON API is in the README")
    .option('-o, --out <dir>', 'output folder', DEFAULTS.out)
    .option('--port <n>', 'TCP port (0: any free port)', '0')
    .option('--host <address>', 'address to bind (default 127.0.0.1; anything else lets other machines try the token)')
    .option('--no-open', 'do not open the browser (it opens only on a desktop with a display)')
    .option('-q, --quiet', 'no messages except errors')
    .action(async (flags: ServeFlags) => {
      const ui = new Ui(flags);
      try {
        const port = parseNumberFlag('--port', { min: 0, max: 65535, integer: true })(flags.port);
        if (flags.host !== undefined && !isLoopback(flags.host)) ui.error(`warning: --host ${flags.host}: the server is reachable from other machines; anyone who learns the token can change your people`);
        const server = await startServer(flags.out, { port, host: flags.host });
        process.stdout.write(`${server.url}\n`);
        const opened = flags.open && openBrowser(server.url);
        ui.info(`${opened ? 'opened in your browser; ' : ''}serving; Ctrl-C stops`);
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void server.close().finally(resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        process.exitCode = EXIT.ok;
      } catch (err) {
        process.exitCode = failure(err, ui);
      }
    });
}
