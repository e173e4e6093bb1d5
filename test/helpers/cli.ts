import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

/** The built command, as a user runs it. */
export const CLI = path.resolve('bin/switchboard.js');

/** Runs a one-shot command and collects what it printed. */
export function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        LOG_LEVEL: 'warn',
        SWITCHBOARD_RATE_LIMITS: 'off',
        SWITCHBOARD_DEMO_DATA: 'off',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `switchboard serve` on a free port; resolves once it listens, with everything printed so far. */
export function startServe(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve'], {
      env: {
        PATH: process.env.PATH ?? '',
        LOG_LEVEL: 'info',
        PORT: '0',
        SWITCHBOARD_RATE_LIMITS: 'off',
        SWITCHBOARD_DEMO_DATA: 'off',
        ...env,
      },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      const url = out.match(/"url":"(http:\/\/[^"]+)"/)?.[1];
      if (url && out.includes('switchboard listening')) resolve({ child, url, output: () => out });
    });
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

/** Stops a child process and waits for it to be gone. */
export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  child.kill(signal);
  return exited;
}
