import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = path.resolve('scripts/build-if-stale.js');

// The script only compiles, so it is run once, not on each database.
describe.skipIf(process.env.SWITCHBOARD_TEST_DB === 'postgres')(
  'scripts/build-if-stale.js',
  { timeout: 120_000 },
  () => {
    let dir: string;
    const file = (p: string) => path.join(dir, p);
    const write = (p: string, text: string) => writeFileSync(file(p), text);
    const build = () => {
      const r = spawnSync(process.execPath, [SCRIPT], { cwd: dir, encoding: 'utf8' });
      return { code: r.status, out: `${r.stdout}${r.stderr}` };
    };
    /** As if the last build had finished a minute ago: whatever is touched now is newer than it. */
    const ageLastBuild = () => {
      const then = new Date(Date.now() - 60_000);
      utimesSync(file('dist/.build-stamp'), then, then);
    };

    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'sb-build-'));
      mkdirSync(file('src/sub'), { recursive: true });
      write(
        'tsconfig.json',
        JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', strict: true } }),
      );
      write(
        'src/cli.ts',
        "import { b } from './sub/b.js';\nexport const answer: number = 1;\nconsole.log(answer, b);\n",
      );
      write('src/sub/b.ts', 'export const b = "b";\n');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('builds a clean checkout (no dist/)', () => {
      const r = build();
      expect(r.code).toBe(0);
      expect(r.out).toContain('building dist/');
      // One bundle: what cli.ts imports is inside it.
      expect(readFileSync(file('dist/cli.js'), 'utf8')).toContain('answer = 1');
      expect(readFileSync(file('dist/cli.js'), 'utf8')).toContain('b = "b"');
      expect(spawnSync(process.execPath, [file('dist/cli.js')], { encoding: 'utf8' }).stdout).toBe('1 b\n');
    });

    it('does not build again when nothing changed', () => {
      const r = build();
      expect(r.code).toBe(0);
      expect(r.out).toContain('dist/ is up to date');
    });

    it('builds again when a source file changed, also in a subdirectory', () => {
      ageLastBuild();
      write(
        'src/cli.ts',
        "import { b } from './sub/b.js';\nexport const answer: number = 2;\nconsole.log(answer, b);\n",
      );
      expect(build().out).toContain('building dist/');
      expect(readFileSync(file('dist/cli.js'), 'utf8')).toContain('answer = 2');
      expect(build().out).toContain('dist/ is up to date');

      ageLastBuild();
      write('src/sub/b.ts', 'export const b = "changed";\n');
      expect(build().out).toContain('building dist/');
      expect(readFileSync(file('dist/cli.js'), 'utf8')).toContain('changed');
    });

    it('builds again when a source file is added or removed, or the compiler settings changed', () => {
      ageLastBuild();
      write('src/sub/c.ts', 'export const c = 3;\n');
      expect(build().out).toContain('building dist/');

      ageLastBuild();
      rmSync(file('src/sub/c.ts'));
      expect(build().out).toContain('building dist/');

      ageLastBuild();
      write('tsconfig.json', readFileSync(file('tsconfig.json'), 'utf8'));
      expect(build().out).toContain('building dist/');
      expect(build().out).toContain('dist/ is up to date');
    });

    it('builds again when the entry point is missing from dist/', () => {
      rmSync(file('dist/cli.js'));
      expect(build().out).toContain('building dist/');
      expect(existsSync(file('dist/cli.js'))).toBe(true);
    });

    it('fails on a syntax error, and tries again next time rather than trusting that build', () => {
      ageLastBuild();
      write('src/cli.ts', 'export const answer: number = ;\n');
      const failed = build();
      expect(failed.code).not.toBe(0);
      expect(failed.out).toContain('src/cli.ts:1:');
      const again = build();
      expect(again.code).not.toBe(0);
      expect(again.out).toContain('building dist/');

      write('src/cli.ts', 'export const answer: number = 4;\n');
      expect(build().code).toBe(0);
      expect(readFileSync(file('dist/cli.js'), 'utf8')).toContain('answer = 4');
      expect(build().out).toContain('dist/ is up to date');
    });
  },
);
