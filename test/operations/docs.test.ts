import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/operations/catalog.js';
import { fillGenerated, instructions, scopesTable, toolsTable } from '../../src/operations/docs.js';

describe('documentation generated from the catalog', () => {
  const catalog = new Catalog();

  it('README.md holds the current tool and scope tables (run `npm run docs` after changing an operation)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(fillGenerated(readme, { tools: toolsTable(catalog), scopes: scopesTable() })).toBe(readme);
  });

  it('lists every operation once, REST-only ones marked', () => {
    const table = toolsTable(catalog);
    for (const { op } of catalog.operations)
      expect(table).toContain(`| \`${op.name}\`${op.mcp === false ? ' (REST-only)' : ''} |`);
  });

  it('names in the instructions only tools that exist, and every toolset that has MCP tools', () => {
    const text = instructions(catalog);
    for (const name of text.match(/\b[a-z]+(?:_[a-z]+)+\b/g) ?? []) {
      if (['is_test', 'next_cursor', 'idempotency_key', 'not_found', 'invalid_request'].includes(name)) continue;
      expect(catalog.get(name), name).toBeDefined();
    }
    for (const { op } of catalog.operations.filter((c) => c.op.mcp !== false))
      expect(text).toContain(`${op.toolset} (`);
    const narrowed = new Catalog(catalog.operations.map((c) => c.op).filter((op) => op.name !== 'kb_search'));
    expect(instructions(narrowed)).not.toContain('kb_search');
  });
});
