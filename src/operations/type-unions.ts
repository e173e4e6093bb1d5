type Json = Record<string, unknown>;

/*
 * The published schemas spell "this or null" and "any JSON value" as `anyOf` with one type per
 * branch, because some clients refuse a list of types. For Ajv the two spellings accept exactly the
 * same values, but not at the same cost: a failed `anyOf` branch records an error object, and a page
 * of 20 prospects fails a branch for every number in `custom_fields`, about 7 KB of garbage per call,
 * while `type: ["string", "null"]` checks with one typeof and allocates nothing. So the output check
 * is compiled from the published schema with such unions folded back into a type list.
 */

/** Keywords that never change what a schema accepts. */
const ANNOTATIONS = new Set(['description', 'title', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly']);

const NUMBERS = ['number', 'integer'];
/** The instance types each keyword applies to (JSON Schema 2020-12, as Ajv groups them); on any other type it accepts. */
const APPLIES_TO: Record<string, readonly string[]> = {
  minLength: ['string'],
  maxLength: ['string'],
  pattern: ['string'],
  format: ['string', ...NUMBERS],
  minimum: NUMBERS,
  maximum: NUMBERS,
  exclusiveMinimum: NUMBERS,
  exclusiveMaximum: NUMBERS,
  multipleOf: NUMBERS,
  items: ['array'],
  prefixItems: ['array'],
  minItems: ['array'],
  maxItems: ['array'],
  uniqueItems: ['array'],
  properties: ['object'],
  required: ['object'],
  additionalProperties: ['object'],
  patternProperties: ['object'],
  propertyNames: ['object'],
  minProperties: ['object'],
  maxProperties: ['object'],
};

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `{anyOf: [{type: a, ...}, {type: b, ...}]}` as `{type: [a, b], ...}` when that accepts exactly the
 * same values: every branch names one type (each a different one), and each of its other keywords
 * applies to its own type only, among the union's types. Anything else (an `enum`, a `$ref`, two
 * numeric branches with bounds, a keyword next to the `anyOf`) is left as it is.
 */
function fold(node: Json): Json {
  const branches = node.anyOf;
  if (!Array.isArray(branches) || branches.length < 2) return node;
  if (Object.keys(node).some((k) => k !== 'anyOf' && !ANNOTATIONS.has(k))) return node;
  if (!branches.every((b) => isObject(b) && typeof b.type === 'string')) return node;
  const types = (branches as Json[]).map((b) => b.type as string);
  if (new Set(types).size < types.length) return node;
  const merged: Json = {};
  for (const branch of branches as Json[]) {
    for (const [key, value] of Object.entries(branch)) {
      if (key === 'type' || ANNOTATIONS.has(key)) continue;
      const appliesTo = APPLIES_TO[key];
      if (!appliesTo || types.some((t) => t !== branch.type && appliesTo.includes(t))) return node;
      merged[key] = value;
    }
  }
  const { anyOf: _, ...annotations } = node;
  return { ...annotations, type: types, ...merged };
}

/** A copy of `schema` with every foldable type union folded (see above), innermost first; `schema` is not changed. */
export function foldTypeUnions(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(foldTypeUnions);
  if (!isObject(schema)) return schema;
  const copy: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    // Values, not schemas: an enum or a default that looks like a schema is data.
    copy[key] =
      key === 'enum' || key === 'const' || key === 'default' || key === 'examples' ? value : foldTypeUnions(value);
  }
  return fold(copy);
}
