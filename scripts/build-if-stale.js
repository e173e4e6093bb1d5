#!/usr/bin/env node
// Compiles src/ into dist/ only when something the build reads changed since the last successful
// build, so `npm start` and `npm test` do not pay for tsc (seconds) on every run.
//
// Stale means: no dist/cli.js, no stamp of a successful build, or a file or directory under src/
// (a directory's time changes when an entry is added, removed or renamed), a tsconfig or
// package-lock.json newer than the stamp. The stamp carries the time the build STARTED, so a file
// saved while tsc was running is still newer than it. A failed build removes the stamp: the next run
// builds again. The build itself is tsconfig.build.json's, which is incremental (dist/.tsbuildinfo),
// so a rebuild after a small change recompiles little. `npm run build` always compiles.
//
// Runs in the current directory (the package root under npm); plain JavaScript, so it needs no
// compiler to decide that none is needed.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const STAMP = path.join('dist', '.build-stamp');
const ENTRY = path.join('dist', 'cli.js');
/** tsconfig.build.json's tsBuildInfoFile. */
const BUILD_INFO = path.join('dist', '.tsbuildinfo');

/** Modification time in ms, or undefined when the path does not exist. */
function mtime(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The newest modification time of `p` and, for a directory, of everything under it (0 if absent). */
function newest(p) {
  let stat;
  try {
    stat = statSync(p);
  } catch {
    return 0;
  }
  let t = stat.mtimeMs;
  if (stat.isDirectory()) for (const entry of readdirSync(p)) t = Math.max(t, newest(path.join(p, entry)));
  return t;
}

/** Why dist/ must be built, and whether incrementally; undefined when it is up to date. */
function why() {
  const built = mtime(STAMP);
  // tsc --incremental trusts its build info, not dist/: it would not write again a file deleted from dist/.
  if (built === undefined) return { reason: 'no successful build recorded', full: true };
  if (mtime(ENTRY) === undefined) return { reason: `${ENTRY} is missing`, full: true };
  const changed = INPUTS.find((input) => newest(input) > built);
  return changed ? { reason: `${changed} changed`, full: false } : undefined;
}

const stale = why();
if (!stale) {
  process.stderr.write('dist/ is up to date\n');
  process.exit(0);
}

process.stderr.write(`building dist/ (${stale.reason})\n`);
const started = new Date();
rmSync(STAMP, { force: true });
if (stale.full) rmSync(BUILD_INFO, { force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
writeFileSync(STAMP, `${started.toISOString()}\n`);
utimesSync(STAMP, started, started);
