#!/usr/bin/env node
// Builds dist/ (scripts/build.js) only when something the build reads changed since the last
// successful build, so `npm start` and `npm test` do not pay for it on every run.
//
// Stale means: no dist/cli.js, no stamp of a successful build, or a file or directory under src/
// (a directory's time changes when an entry is added, removed or renamed), tsconfig.json,
// package-lock.json or the build script newer than the stamp. The stamp carries the time the build
// STARTED, so a file saved while the build was running is still newer than it. A failed build removes
// the stamp: the next run builds again. `npm run build` always builds.
//
// Runs in the current directory (the package root under npm); plain JavaScript, so it needs no
// compiler to decide that none is needed.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BUILD = fileURLToPath(new URL('./build.js', import.meta.url));
const INPUTS = ['src', 'tsconfig.json', 'package-lock.json', BUILD];
const STAMP = path.join('dist', '.build-stamp');
const ENTRY = path.join('dist', 'cli.js');

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

/** Why dist/ must be built; undefined when it is up to date. */
function why() {
  const built = mtime(STAMP);
  if (built === undefined) return 'no successful build recorded';
  if (mtime(ENTRY) === undefined) return `${ENTRY} is missing`;
  const changed = INPUTS.find((input) => newest(input) > built);
  return changed ? `${path.relative('.', changed)} changed` : undefined;
}

const stale = why();
if (!stale) {
  process.stderr.write('dist/ is up to date\n');
  process.exit(0);
}

process.stderr.write(`building dist/ (${stale})\n`);
const started = new Date();
rmSync(STAMP, { force: true });
const result = spawnSync(process.execPath, [BUILD], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
writeFileSync(STAMP, `${started.toISOString()}\n`);
utimesSync(STAMP, started, started);
