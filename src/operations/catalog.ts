import { Ajv, type ValidateFunction } from 'ajv';
import { z } from 'zod';
import { draftOperations, outreachSettingsOperations } from '../domains/outreach/index.js';
import { conversationOperations } from '../domains/conversations/index.js';
import { chatOperations } from '../domains/chat/index.js';
import { escalationOperations } from '../domains/escalations/index.js';
import { bookingOperations } from '../domains/bookings/index.js';
import { agentOperations } from '../domains/agents/index.js';
import { kpiOperations } from '../domains/kpis/index.js';
import { webhookOperations } from '../domains/webhooks/index.js';
import { knowledgeOperations } from '../domains/knowledge/index.js';
import { inboundOperations, replyOperations } from '../domains/replies/index.js';
import { prospectOperations } from '../domains/prospects/index.js';
import { suppressionOperations } from '../domains/suppression/index.js';
import { templateOperations } from '../domains/templates/index.js';
import { hasScope, keyOperations, rateLimitOperations, workspaceOperations } from '../domains/tenancy/index.js';
import type { Principal } from '../kernel/context.js';
import { AppError } from '../kernel/errors.js';
import { type Operation, TOOLSETS } from './define.js';
import { IdempotencyKeyInput, WorkspaceIdInput } from './inputs.js';
import { foldTypeUnions } from './type-unions.js';

/**
 * Every operation, in the stable order `tools/list`, the REST routes and the OpenAPI document use.
 * Pure data: it can be built, listed and snapshotted without a database or any service.
 */
export const OPERATIONS: readonly Operation[] = [
  ...workspaceOperations,
  ...outreachSettingsOperations,
  ...inboundOperations,
  ...prospectOperations,
  ...suppressionOperations,
  ...templateOperations,
  ...draftOperations,
  ...replyOperations,
  ...conversationOperations,
  ...chatOperations,
  ...escalationOperations,
  ...bookingOperations,
  ...kpiOperations,
  ...webhookOperations,
  ...knowledgeOperations,
  ...agentOperations,
  ...keyOperations,
  ...rateLimitOperations,
];

export interface ToolFilter {
  toolsets?: string[] | undefined;
  tools?: string[] | undefined;
  excludeTools?: string[] | undefined;
  readOnly?: boolean | undefined;
}

export interface CompiledOperation {
  op: Operation;
  /** The check of a handler's result against `outputJsonSchema`, without copying it; compiled on first use. */
  outputCheck(): ValidateFunction;
  /** The input as callers send it: strict (unknown fields are errors), with workspace_id on workspace operations and idempotency_key on writes. */
  input: z.ZodObject;
  readonly inputJsonSchema: Record<string, unknown>;
  readonly outputJsonSchema: Record<string, unknown>;
  acceptsIdempotencyKey: boolean;
}

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    // zod spells out `format: email/date-time` as long regexes too; the format alone says it in far fewer tokens.
    override: ({ jsonSchema: js }) => {
      if (js.format) delete js.pattern;
    },
  }) as Record<string, unknown>;
  // After generation, not in the override: zod folds `anyOf: [x, null]` into a type list after its overrides ran.
  walk(rest, (node) => clientSafe(node, io));
  return rest;
};

type Json = Record<string, unknown>;

/** Any JSON value in a free-form output (settings, provenance, event data), spelled with one type per branch. */
const JSON_VALUE: Json = {
  anyOf: [
    { type: 'string' },
    { type: 'number' },
    { type: 'boolean' },
    { type: 'object' },
    {
      type: 'array',
      items: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'object' }] },
    },
    { type: 'null' },
  ],
};

const isEmptySchema = (s: unknown) =>
  typeof s === 'object' && s !== null && Object.keys(s).every((k) => k === 'description');
const isOpenObject = (s: Json) => s.type === 'object' && s.additionalProperties !== false && s.properties === undefined;

/** Visits every schema node below `schema`, children first. */
function walk(schema: Json, visit: (node: Json) => void): void {
  for (const [key, value] of Object.entries(schema)) {
    if (
      key === 'enum' ||
      key === 'const' ||
      key === 'default' ||
      key === 'required' ||
      !value ||
      typeof value !== 'object'
    )
      continue;
    if (Array.isArray(value)) {
      for (const v of value) if (v && typeof v === 'object') walk(v as Json, visit);
    } else if (key === 'properties' || key === '$defs') {
      for (const v of Object.values(value)) walk(v as Json, visit);
    } else walk(value as Json, visit);
  }
  visit(schema);
}

/**
 * Rewrites what some clients refuse: Gemini's Schema allows one `type` per node and neither `{}` nor
 * `propertyNames`; OpenAI's strict mode cannot express an open object. So `type: [x, "null"]` becomes
 * `anyOf`, a map's values get explicit types, and an input that also takes a map (freeFormInput)
 * publishes only its list-of-pairs form.
 */
function clientSafe(js: Json, io: 'input' | 'output'): void {
  if (Array.isArray(js.type)) {
    const { type, description, title, default: dflt, ...rest } = js;
    for (const k of Object.keys(js)) delete js[k];
    const branches = (type as string[]).map((t) => (t === 'null' ? { type: 'null' } : { type: t, ...rest }));
    Object.assign(
      js,
      { anyOf: branches },
      description === undefined ? {} : { description },
      title === undefined ? {} : { title },
      dflt === undefined ? {} : { default: dflt },
    );
  }
  if (js.type === 'object' && js.propertyNames) delete js.propertyNames; // JSON keys are strings anyway
  if (js.type === 'object' && isEmptySchema(js.additionalProperties)) js.additionalProperties = JSON_VALUE;
  if (io === 'input' && Array.isArray(js.anyOf)) {
    const branches = js.anyOf as Json[];
    if (branches.some((b) => b.type === 'array') && branches.some((b) => isOpenObject(b))) {
      const pairs = branches.find((b) => b.type === 'array')!;
      delete js.anyOf;
      Object.assign(js, pairs, js.description === undefined ? {} : { description: js.description });
    }
  }
}

// Every call's result is checked against the JSON Schema clients are given. zod would parse and copy
// it (a page of 20 prospects is a few hundred objects, a large share of a call's cost); Ajv compiles
// the schema into a function that checks the result where it lies. A field the schema does not declare
// is an error, not silently dropped: handlers return exactly what they declare. Formats are
// documentation for clients here, not checked.
const ajv = new Ajv({ strict: false, validateFormats: false });

function compile(op: Operation): CompiledOperation {
  const acceptsIdempotencyKey = !op.annotations.readOnlyHint && op.idempotency !== false;
  // workspace_id first, so it leads the published schema as it leads every tool's arguments.
  let input: z.ZodObject =
    op.tenancy === 'workspace' ? z.object({ workspace_id: WorkspaceIdInput }).extend(op.input.shape) : op.input;
  if (acceptsIdempotencyKey) input = input.extend({ idempotency_key: IdempotencyKeyInput });
  input = input.strict();
  // The JSON Schemas and the output check are made on first use: making all of them at start took
  // about a fifth of a stdio start-up, and a process answers for few of them (bench/README.md).
  let inputJson: Json | undefined;
  let outputJson: Json | undefined;
  let check: ValidateFunction | undefined;
  return {
    op,
    input,
    get inputJsonSchema() {
      inputJson ??= jsonSchema(input, 'input');
      return inputJson;
    },
    get outputJsonSchema() {
      outputJson ??= jsonSchema(op.output, 'output');
      return outputJson;
    },
    // From the same schema with its type unions folded: it accepts the same values without the garbage of anyOf.
    outputCheck() {
      check ??= ajv.compile(foldTypeUnions(this.outputJsonSchema) as Json);
      return check;
    },
    acceptsIdempotencyKey,
  };
}

/** The operations compiled once (schemas, validators), and how a caller's view of them is chosen. */
export class Catalog {
  readonly operations: readonly CompiledOperation[];
  private readonly byName: Map<string, CompiledOperation>;

  constructor(operations: readonly Operation[] = OPERATIONS) {
    this.operations = operations.map(compile);
    this.byName = new Map(this.operations.map((c) => [c.op.name, c]));
  }

  get(name: string): CompiledOperation | undefined {
    return this.byName.get(name);
  }

  /** Rejects unknown toolset or tool names: a typo must not silently widen or empty the tool list. */
  validateFilter(filter: ToolFilter): void {
    const badSets = (filter.toolsets ?? []).filter((t) => !(t in TOOLSETS));
    if (badSets.length) {
      throw new AppError(
        'invalid_request',
        `Unknown toolset(s): ${badSets.join(', ')}. Known toolsets: ${Object.keys(TOOLSETS).join(', ')}`,
        { param: 'toolsets' },
      );
    }
    for (const [param, names] of [
      ['tools', filter.tools],
      ['exclude_tools', filter.excludeTools],
    ] as const) {
      const bad = (names ?? []).filter((n) => !this.byName.has(n));
      if (bad.length)
        throw new AppError('invalid_request', `Unknown tool(s) in ${param}: ${bad.join(', ')}`, { param });
    }
  }

  /** The operations a principal may use on a surface, narrowed by the filter, in catalog order. */
  select(principal: Pick<Principal, 'scopes'>, filter: ToolFilter, surface: 'mcp' | 'rest'): CompiledOperation[] {
    const narrowed = Boolean(filter.toolsets?.length || filter.tools?.length);
    return this.operations.filter(({ op }) => {
      if (surface === 'mcp' && op.mcp === false) return false;
      if (surface === 'rest' && !op.http) return false;
      if (narrowed && !filter.toolsets?.includes(op.toolset) && !filter.tools?.includes(op.name)) return false;
      if (filter.excludeTools?.includes(op.name)) return false;
      if (filter.readOnly && !op.annotations.readOnlyHint) return false;
      return hasScope(principal, op.scope);
    });
  }
}
