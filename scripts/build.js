#!/usr/bin/env node
// Bundles src/ into dist/ with esbuild: one ESM entry (dist/cli.js) plus chunks for what the commands
// import lazily (the HTTP server, PGlite's adapter, the document extractors...). A stdio start
// otherwise spends more time resolving and linking some 600 module files than running them
// (bench/README.md: about a third of a start on PostgreSQL). esbuild only strips types: the
// typecheck is `npm run typecheck` (in `npm run check` and CI).
//
// Every src/**/*.worker.ts is an entry of its own at dist/<name>.js, where the code that starts it
// finds it (`new URL('./<name>.js', import.meta.url)`: every output file sits in dist/ itself).
//
// Packages stay outside the bundle when they find files of their own at run time: PGlite (its
// WebAssembly and data files), pdf.js (its worker), pino (its transports run in worker threads).
//
// Usage: node scripts/build.js  (run in the package root; `npm run build`)
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const EXTERNAL = ['@electric-sql/*', 'pdfjs-dist', 'pino', 'thread-stream', 'pg-native'];

/** src/**\/*.worker.ts, named by file name. */
function workers(dir) {
  const found = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(found, workers(p));
    else if (entry.name.endsWith('.worker.ts')) found[entry.name.slice(0, -'.ts'.length)] = p;
  }
  return found;
}

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts', ...workers('src') },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external: EXTERNAL,
  // Bundled CommonJS packages call require() for Node's built-ins; ESM has none of its own.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
  // Without keepNames: it wraps every function made at run time in a call that sets its name (about 1 %
  // of a tool call's CPU); only names that clash between modules get a suffix, in stack traces. Errors
  // set their own `name`.
  sourcemap: 'linked',
  logLevel: 'warning',
});
