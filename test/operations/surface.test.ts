import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/operations/catalog.js';

/**
 * The public API in one file: every operation's name, title, description, scope, toolset,
 * annotations, route and JSON Schemas. A diff here is an API change and is reviewed as one;
 * regenerate with `npx vitest run test/operations/surface.test.ts -u`.
 */
describe('tool surface', () => {
  it('matches the reviewed snapshot', async () => {
    const catalog = new Catalog();
    const surface = catalog.operations.map(({ op, inputJsonSchema, outputJsonSchema }) => ({
      name: op.name,
      title: op.title,
      description: op.description,
      toolset: op.toolset,
      scope: op.scope,
      mcp: op.mcp !== false,
      http: op.http ?? null,
      annotations: op.annotations,
      input: inputJsonSchema,
      output: outputJsonSchema,
    }));
    await expect(`${JSON.stringify(surface, null, 2)}\n`).toMatchFileSnapshot('./surface.snapshot.json');
  });

  it('declares every annotation, a title and schema descriptions for each operation', () => {
    const catalog = new Catalog();
    const names = catalog.operations.map((c) => c.op.name);
    expect(new Set(names).size).toBe(names.length);
    for (const { op, inputJsonSchema } of catalog.operations) {
      expect(Object.keys(op.annotations).sort()).toEqual([
        'destructiveHint',
        'idempotentHint',
        'openWorldHint',
        'readOnlyHint',
      ]);
      expect(op.title.length).toBeGreaterThan(3);
      expect(op.description.length).toBeGreaterThan(40);
      const props = (inputJsonSchema.properties ?? {}) as Record<string, { description?: string }>;
      for (const [field, schema] of Object.entries(props))
        expect(schema.description, `${op.name}.${field}`).toBeTruthy();
      expect(inputJsonSchema.additionalProperties).toBe(false);
    }
  });
});
