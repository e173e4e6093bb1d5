#!/usr/bin/env node
// The version check runs before anything is imported: on an older Node the application's modules
// would fail on a missing API somewhere deep inside, far from the real cause. Written for any Node:
// no top-level await, no syntax newer than the check itself.
const REQUIRED = [22, 12];
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < REQUIRED[0] || (major === REQUIRED[0] && minor < REQUIRED[1])) {
  process.stderr.write(
    `switchboard needs Node.js ${REQUIRED.join('.')} or later; this is Node.js ${process.versions.node}.\n` +
      'Install Node.js 22 LTS: `nvm install` in the switchboard directory (it reads .nvmrc), or from\n' +
      'https://nodejs.org/en/download. Then run this command again.\n',
  );
  process.exit(1);
}
// V8's compiled code for every module is kept on disk between runs (in the OS temp directory, keyed
// by Node's version and each file's contents), so a start after the first skips most compilation:
// editors start a stdio server for every session. NODE_COMPILE_CACHE overrides the directory, and
// NODE_DISABLE_COMPILE_CACHE=1 turns it off. The import is dynamic so older Nodes reach the check above.
import('node:module')
  .then((m) => m.enableCompileCache?.())
  .catch(() => {})
  .then(() => import('../dist/cli.js'));
