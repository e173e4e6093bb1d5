import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';
import { kyselyOverPglite, pgliteOptions } from '../../src/adapters/db/pglite.js';
import { migrateToLatest } from '../../src/adapters/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteSnapshot: string;
  }
}

/**
 * Creating a PGlite database costs seconds (initdb in WebAssembly); loading a migrated snapshot
 * costs a fraction of that, so it is made once per run and every test file starts from it.
 */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-test-'));
  const file = path.join(dir, 'snapshot.tar.gz');
  const pglite = await PGlite.create(pgliteOptions());
  const db = kyselyOverPglite(pglite);
  await migrateToLatest(db);
  await db.destroy();
  writeFileSync(file, Buffer.from(await (await pglite.dumpDataDir('gzip')).arrayBuffer()));
  await pglite.close();
  project.provide('pgliteSnapshot', file);
  return () => rmSync(dir, { recursive: true, force: true });
}
