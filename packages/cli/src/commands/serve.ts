/** `faceclust serve`: the review server over an output folder; its URL (with the token) is stdout's first line. */
import { Command } from 'commander';
import { DEFAULTS, parseNumberFlag } from '../options.js';
import { isLoopback } from '../serve/auth.js';
import { startServer } from '../serve/server.js';
import { EXIT, failure, Ui } from './common.js';

interface ServeFlags {
  out: string;
  port: string;
  host?: string;
  quiet?: boolean;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description("serve the output folder's people and corrections as a JSON API (see the README, \"Review server API\"); prints the URL with its token")
    .option('-o, --out <dir>', 'output folder', DEFAULTS.out)
    .option('--port <n>', 'TCP port (0: any free port)', '0')
    .option('--host <address>', 'address to bind (default 127.0.0.1; anything else lets other machines try the token)')
    .option('-q, --quiet', 'no messages except errors')
    .action(async (flags: ServeFlags) => {
      const ui = new Ui(flags);
      try {
        const port = parseNumberFlag('--port', { min: 0, max: 65535, integer: true })(flags.port);
        if (flags.host !== undefined && !isLoopback(flags.host)) ui.error(`warning: --host ${flags.host}: the server is reachable from other machines; anyone who learns the token can change your people`);
        const server = await startServer(flags.out, { port, host: flags.host });
        process.stdout.write(`${server.url}\n`);
        ui.info('serving; Ctrl-C stops');
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
