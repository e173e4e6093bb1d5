import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../../src/adapters/db/connect.js';
import { TEST_DB_KIND } from '../../helpers/db.js';

const settings = async (sharedBuffers?: string) => {
  // From the migrated snapshot: creating a database (initdb) would cost far more than this checks.
  const loadDataDir = new Blob([readFileSync(inject('pgliteSnapshot'))]);
  const handle = await openDatabase({ kind: 'pglite', dataDir: 'memory://', loadDataDir, sharedBuffers });
  try {
    const { rows } = await sql<{ shared_buffers: string; search_path: string; io_method: string }>`
      select current_setting('shared_buffers') as shared_buffers, current_setting('search_path') as search_path,
             current_setting('io_method') as io_method`.execute(handle.db);
    return rows[0];
  } finally {
    await handle.close();
  }
};

// stdio asks for a smaller buffer cache; PGlite's own start parameters must survive the change.
describe.skipIf(TEST_DB_KIND !== 'pglite')('PGlite start parameters', () => {
  it("sets the buffer cache when asked, keeping PGlite's other parameters", { timeout: 120_000 }, async () => {
    expect(await settings()).toEqual({ shared_buffers: '128MB', search_path: 'public', io_method: 'sync' });
    expect(await settings('16MB')).toEqual({ shared_buffers: '16MB', search_path: 'public', io_method: 'sync' });
  });
});
