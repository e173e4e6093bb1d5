import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';

const read = (file: string) => readFileSync(file, 'utf8');
const pinned = read('.nvmrc').trim();

/** Runs the command as if on Node `version`: the preload replaces process.versions before the bin runs. */
function runOn(version: string) {
  const preload = `data:text/javascript,Object.defineProperty(process,'versions',{value:{...process.versions,node:'${version}'}})`;
  return spawnSync(process.execPath, [`--import=${preload}`, CLI, '--version'], { encoding: 'utf8' });
}

describe('the Node.js version', () => {
  it('is one pinned version: .nvmrc, the Dockerfile, and within engines and the command check', () => {
    expect(pinned).toMatch(/^22\.\d+\.\d+$/);
    expect(read('Dockerfile')).toContain(`ARG NODE_VERSION=${pinned}\n`);
    const engines = JSON.parse(read('package.json')).engines.node as string;
    expect(engines).toBe('>=22.12');
    expect(read(CLI)).toContain('const REQUIRED = [22, 12];');
  });

  it('an older Node stops the command before it loads anything, naming the version and how to get it', () => {
    const r = runOn('20.19.0');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('switchboard needs Node.js 22.12 or later; this is Node.js 20.19.0.');
    expect(r.stderr).toContain('nvm install');
    expect(runOn('22.11.9').status).toBe(1);
  });

  it('Node 22.12 and later run the command', () => {
    for (const version of ['22.12.0', '24.0.0']) {
      const r = runOn(version);
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
      expect(r.status).toBe(0);
    }
  });
});
