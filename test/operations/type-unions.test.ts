import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/operations/catalog.js';
import { foldTypeUnions } from '../../src/operations/type-unions.js';

type Json = Record<string, any>;

const ajv = new Ajv({ strict: false, validateFormats: false });

/** Values of every JSON type, nested, for comparing what two schemas accept. */
const VALUES: unknown[] = [
  null,
  0,
  -3,
  1.5,
  1e300,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  'x',
  'a long enough string',
  true,
  false,
  [],
  [null],
  [1, 'a', true, {}],
  [[1]],
  ['a', null],
  {},
  { a: 1 },
  { a: null },
  { a: [null] },
  { a: { b: [1, [2]] } },
  { id: 'a', n: 1 },
  { id: 'a', n: null },
  { id: 'a' },
  { id: 'a', n: 1, extra: true },
];

const countAnyOf = (schema: unknown): number =>
  typeof schema !== 'object' || schema === null
    ? 0
    : (Array.isArray(schema) ? schema : Object.values(schema)).reduce(
        (n: number, v) => n + countAnyOf(v),
        'anyOf' in schema ? 1 : 0,
      );

/** Both schemas accept and refuse the same values. */
function expectSameVerdicts(schema: Json): void {
  const published = ajv.compile(structuredClone(schema));
  const folded = ajv.compile(foldTypeUnions(schema) as Json);
  for (const value of VALUES) expect([value, folded(value)]).toEqual([value, published(value)]);
  for (const value of VALUES) expect([value, folded({ v: value })]).toEqual([value, published({ v: value })]);
}

describe('folding type unions for the output check', () => {
  const catalog = new Catalog();

  it('accepts exactly what the published schema accepts', () => {
    const jsonValue = catalog.get('list_prospects')!.outputJsonSchema.properties as Json;
    const customFields = jsonValue.prospects.items.properties.custom_fields;
    for (const schema of [
      { anyOf: [{ type: 'string' }, { type: 'null' }], description: 'nullable' },
      { anyOf: [{ type: 'integer', minimum: 0, maximum: 10 }, { type: 'null' }] },
      { anyOf: [{ type: 'string', maxLength: 3 }, { type: 'number', minimum: 2 }, { type: 'boolean' }] },
      {
        anyOf: [
          {
            type: 'object',
            properties: { id: { type: 'string' }, n: { anyOf: [{ type: 'integer' }, { type: 'null' }] } },
            required: ['id', 'n'],
            additionalProperties: false,
          },
          { type: 'null' },
        ],
      },
      customFields,
      { type: 'object', properties: { v: customFields.additionalProperties }, required: ['v'] },
      // Left as they are (see below), and still the same.
      { anyOf: [{ type: 'string', enum: ['a', 'x'] }, { type: 'null' }] },
      {
        anyOf: [
          { type: 'integer', minimum: 0 },
          { type: 'number', maximum: 1 },
        ],
      },
      { anyOf: [{ type: 'string' }, { type: 'string', minLength: 5 }] },
      { anyOf: [{ type: 'string' }, { type: 'null' }], minLength: 2 },
    ])
      expectSameVerdicts(schema);
  });

  it('folds the unions the published schemas are made of, and only those', () => {
    expect(foldTypeUnions({ anyOf: [{ type: 'string' }, { type: 'null' }], description: 'd' })).toEqual({
      description: 'd',
      type: ['string', 'null'],
    });
    expect(
      foldTypeUnions({
        anyOf: [{ type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }] } }, { type: 'null' }],
      }),
    ).toEqual({ type: ['array', 'null'], items: { type: ['string', 'number'] } });
    // enum constrains every type; two numeric branches share their bounds; a keyword beside anyOf; a repeated type.
    for (const kept of [
      { anyOf: [{ type: 'string', enum: ['a'] }, { type: 'null' }] },
      { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'number' }] },
      { anyOf: [{ type: 'string' }, { type: 'null' }], minLength: 2 },
      { anyOf: [{ type: 'string' }, { type: 'string', minLength: 5 }] },
      { anyOf: [{ $ref: '#/$defs/a' }, { type: 'null' }] },
    ])
      expect(foldTypeUnions(kept)).toEqual(kept);
  });

  it('leaves no anyOf in the list_prospects output check, and does not change the published schema', () => {
    const compiled = catalog.get('list_prospects')!;
    const before = structuredClone(compiled.outputJsonSchema);
    expect(countAnyOf(compiled.outputJsonSchema)).toBeGreaterThan(0);
    expect(countAnyOf(foldTypeUnions(compiled.outputJsonSchema))).toBe(0);
    compiled.outputCheck();
    expect(compiled.outputJsonSchema).toEqual(before);
  });

  it('checks every operation’s output as its published schema does, on every value above', () => {
    for (const { outputJsonSchema } of catalog.operations) {
      const props = (outputJsonSchema.properties ?? {}) as Json;
      for (const schema of Object.values(props)) expectSameVerdicts(schema as Json);
    }
  });
});
