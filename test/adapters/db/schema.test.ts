import { fileURLToPath } from 'node:url';
import { DEFAULT_MIGRATION_LOCK_TABLE, DEFAULT_MIGRATION_TABLE, sql } from 'kysely';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, createTestDatabase } from '../../helpers/db.js';

/**
 * The migrations and `schema.ts` (the Kysely `Database` type every query is checked against) are
 * written by hand, side by side; a column added to one and not the other compiles and then fails at
 * run time. This compares the migrated database with the type: tables, columns and nullability.
 */

const SCHEMA_FILE = fileURLToPath(new URL('../../../src/adapters/db/schema.ts', import.meta.url));

/** Tables the migrations create only where an extension is available (PGlite ships pgvector; a server may not). */
const NEEDS_EXTENSION: Record<string, string> = { kb_chunk_embeddings: 'vector' };

/** One line per column: `table.column null|not null`. */
type Columns = Map<string, 'null' | 'not null'>;

/**
 * The columns `schema.ts` declares, read with the type checker so aliases (`Timestamp`, `Json<T>`)
 * and Kysely's `ColumnType<Select, Insert, Update>` resolve as Kysely reads them: a column is
 * nullable when its select type includes `null`.
 */
function declaredColumns(): Columns {
  // Only schema.ts and what it imports (kysely's types): no @types packages nor the DOM library, which take seconds to load.
  const program = ts.createProgram([SCHEMA_FILE], {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    noEmit: true,
    skipLibCheck: true,
    types: [],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(SCHEMA_FILE)!;
  const database = source.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'Database',
  );
  if (!database) throw new Error('schema.ts has no `interface Database`');
  const columns: Columns = new Map();
  for (const table of checker.getTypeAtLocation(database).getProperties()) {
    const tableType = checker.getTypeOfSymbolAtLocation(table, database);
    for (const column of tableType.getProperties()) {
      let type = checker.getTypeOfSymbolAtLocation(column, database);
      const select = type.getProperty('__select__'); // ColumnType<S, I, U>: S is what a select returns
      if (select) type = checker.getTypeOfSymbolAtLocation(select, database);
      const nullable = (type.isUnion() ? type.types : [type]).some((t) => t.flags & ts.TypeFlags.Null);
      columns.set(`${table.name}.${column.name}`, nullable ? 'null' : 'not null');
    }
  }
  return columns;
}

/** The columns of the migrated database's tables, without Kysely's own migration bookkeeping. */
async function migratedColumns(handle: TestDatabase['handle']): Promise<Columns> {
  const { rows } = await sql<{ table_name: string; column_name: string; is_nullable: 'YES' | 'NO' }>`
    select c.table_name, c.column_name, c.is_nullable
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
      and c.table_name not in (${DEFAULT_MIGRATION_TABLE}, ${DEFAULT_MIGRATION_LOCK_TABLE})
  `.execute(handle.db);
  return new Map(rows.map((r) => [`${r.table_name}.${r.column_name}`, r.is_nullable === 'YES' ? 'null' : 'not null']));
}

/** Readable differences, one line each, sorted; empty when the two agree. */
function compareColumns(declared: Columns, migrated: Columns): string[] {
  const tableOf = (column: string) => column.slice(0, column.indexOf('.'));
  const declaredTables = new Set([...declared.keys()].map(tableOf));
  const migratedTables = new Set([...migrated.keys()].map(tableOf));
  const problems: string[] = [];
  for (const table of declaredTables)
    if (!migratedTables.has(table)) problems.push(`table ${table}: in schema.ts, not in the database`);
  for (const table of migratedTables)
    if (!declaredTables.has(table)) problems.push(`table ${table}: in the database, not in schema.ts`);
  for (const [column, nullability] of declared) {
    if (!migratedTables.has(tableOf(column))) continue;
    const actual = migrated.get(column);
    if (!actual) problems.push(`column ${column}: in schema.ts, not in the database`);
    else if (actual !== nullability)
      problems.push(`column ${column}: ${nullability} in schema.ts, ${actual} in the database`);
  }
  for (const column of migrated.keys()) {
    if (declaredTables.has(tableOf(column)) && !declared.has(column))
      problems.push(`column ${column}: in the database, not in schema.ts`);
  }
  return problems.sort();
}

describe('schema.ts and the migrations', () => {
  let database: TestDatabase;
  let declared: Columns;

  beforeAll(async () => {
    database = await createTestDatabase();
    declared = declaredColumns();
  });

  afterAll(async () => {
    await database?.handle.close();
    await database?.drop();
  });

  it('read schema.ts: every table of `Database`, with its columns', () => {
    expect(declared.size).toBeGreaterThan(50);
    expect(declared.get('drafts.status')).toBe('not null');
    expect(declared.get('drafts.sent_at')).toBe('null'); // through the Timestamp alias and ColumnType
    expect(declared.get('prospects.first_name')).toBe('null');
  });

  it('declare the same tables, columns and nullability', async () => {
    const { rows } = await sql<{ extname: string }>`select extname from pg_extension`.execute(database.handle.db);
    const installed = new Set(rows.map((r) => r.extname));
    const expected = new Map(
      [...declared].filter(([column]) => {
        const extension = NEEDS_EXTENSION[column.slice(0, column.indexOf('.'))];
        return extension === undefined || installed.has(extension);
      }),
    );
    expect(compareColumns(expected, await migratedColumns(database.handle))).toEqual([]);
  });

  it('report each kind of difference on its own line', () => {
    const declaredCase: Columns = new Map([
      ['a.id', 'not null'],
      ['a.gone', 'not null'],
      ['a.note', 'null'],
      ['only_declared.id', 'not null'],
    ]);
    const migratedCase: Columns = new Map([
      ['a.id', 'not null'],
      ['a.note', 'not null'],
      ['a.extra', 'null'],
      ['only_migrated.id', 'not null'],
    ]);
    expect(compareColumns(declaredCase, migratedCase)).toEqual([
      'column a.extra: in the database, not in schema.ts',
      'column a.gone: in schema.ts, not in the database',
      'column a.note: null in schema.ts, not null in the database',
      'table only_declared: in schema.ts, not in the database',
      'table only_migrated: in the database, not in schema.ts',
    ]);
  });
});
