// Bundles the review page (app/) into dist/serve/assets: one script (preact included) and one stylesheet,
// so the package ships the page and needs no build step or CDN at run time.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = path.join(root, 'dist', 'serve', 'assets');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [path.join(root, 'app', 'main.tsx')],
  outfile: path.join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'inline',
  logLevel: 'warning',
});
copyFileSync(path.join(root, 'app', 'app.css'), path.join(out, 'app.css'));
