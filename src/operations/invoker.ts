import { Ajv, type ValidateFunction } from 'ajv';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { z } from 'zod';
import { hasScope } from '../domains/tenancy/auth.js';
import type { OrgContext, Principal, Services } from '../kernel/context.js';
import { AppError } from '../kernel/errors.js';
import { requestHash, runIdempotent } from '../kernel/idempotency.js';
import type { Database } from '../adapters/db/schema.js';
import { IdempotencyKeyInput } from './inputs.js';
import { keyOperations } from '../domains/tenancy/keys.ops.js';
import { knowledgeOperations } from '../domains/knowledge/knowledge.ops.js';
import { type Operation, TOOLSETS } from './define.js';
import { prospectOperations } from '../domains/prospects/prospects.ops.js';
import { suppressionOperations } from '../domains/suppression/suppression.ops.js';
import { templateOperations } from '../domains/templates/templates.ops.js';
import { draftOperations } from '../domains/outreach/drafts.ops.js';
import { workspaceOperations } from '../domains/tenancy/workspaces.ops.js';

/** Every operation, in the stable order `tools/list` and the OpenAPI document use. */
export const OPERATIONS: readonly Operation[] = [...workspaceOperations, ...prospectOperations, ...suppressionOperations, ...templateOperations, ...draftOperations, ...knowledgeOperations, ...keyOperations];

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
  /** The input as callers send it: strict (unknown fields are errors), plus idempotency_key on writes. */
  input: z.ZodObject;
  inputJsonSchema: Record<string, unknown>;
  outputJsonSchema: Record<string, unknown>;
  acceptsIdempotencyKey: boolean;
}

export interface InvokeOptions {
  requestId: string;
  log: Logger;
  /** From the REST `Idempotency-Key` header; MCP callers pass `idempotency_key` in the arguments. */
  idempotencyKey?: string | undefined;
  progress?: OrgContext['progress'];
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
  return rest;
};

// Every call's result is checked against the JSON Schema clients are given. zod would parse and copy
// it (a page of 20 prospects is a few hundred objects, a large share of a call's cost); Ajv compiles
// the schema into a function that checks the result where it lies. A field the schema does not declare
// is an error, not silently dropped: handlers return exactly what they declare. Formats are
// documentation for clients here, not checked.
const ajv = new Ajv({ strict: false, validateFormats: false });

function compile(op: Operation): CompiledOperation {
  const acceptsIdempotencyKey = !op.annotations.readOnlyHint && op.idempotency !== false;
  const input = (acceptsIdempotencyKey ? op.input.extend({ idempotency_key: IdempotencyKeyInput }) : op.input).strict();
  const outputJsonSchema = jsonSchema(op.output, 'output');
  let check: ValidateFunction | undefined;
  // Compiled on first use: compiling every schema at start would slow down start-up (stdio) for tools never called.
  const outputCheck = () => (check ??= ajv.compile(outputJsonSchema));
  return { op, input, inputJsonSchema: jsonSchema(input, 'input'), outputJsonSchema, outputCheck, acceptsIdempotencyKey };
}

/** The operations, compiled once at start, and the one place where calls are checked and run. */
export class Registry {
  readonly operations: readonly CompiledOperation[];
  private readonly byName: Map<string, CompiledOperation>;

  constructor(
    private readonly deps: Services,
    operations: readonly Operation[] = OPERATIONS,
  ) {
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
      throw new AppError('invalid_request', `Unknown toolset(s): ${badSets.join(', ')}. Known toolsets: ${Object.keys(TOOLSETS).join(', ')}`, { param: 'toolsets' });
    }
    for (const [param, names] of [['tools', filter.tools], ['exclude_tools', filter.excludeTools]] as const) {
      const bad = (names ?? []).filter((n) => !this.byName.has(n));
      if (bad.length) throw new AppError('invalid_request', `Unknown tool(s) in ${param}: ${bad.join(', ')}`, { param });
    }
  }

  /** The operations a principal may use on a surface, narrowed by the filter, in registry order. */
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

  /**
   * Checks scope, parses input, resolves the workspace, applies idempotency, runs the handler and
   * checks its output against the declared schema. Throws AppError (or ZodError for bad input).
   */
  async invoke(compiled: CompiledOperation, principal: Principal, args: unknown, opts: InvokeOptions): Promise<{ output: unknown; replayed: boolean }> {
    const { op } = compiled;
    if (!hasScope(principal, op.scope)) {
      throw new AppError('forbidden', `${op.name} needs the ${op.scope} scope, which this API key does not have`);
    }
    const { idempotency_key: argKey, ...input } = compiled.input.parse(args ?? {}) as Record<string, unknown> & { idempotency_key?: string };
    if (argKey && opts.idempotencyKey && argKey !== opts.idempotencyKey) {
      throw new AppError('invalid_request', 'The Idempotency-Key header and idempotency_key differ; send one of them', { param: 'idempotency_key' });
    }
    const idempotencyKey = opts.idempotencyKey ?? argKey;
    if (idempotencyKey && !compiled.acceptsIdempotencyKey) {
      throw new AppError('invalid_request', `${op.name} takes no idempotency key`, { param: 'idempotency_key' });
    }

    const base: OrgContext = { ...this.deps, principal, log: opts.log, requestId: opts.requestId, progress: opts.progress };
    const workspace = op.tenancy === 'workspace' ? await this.deps.workspaceCache.resolve(base.db, principal, input.workspace_id as string | undefined) : undefined;
    const run = async (db: Kysely<Database>) => {
      const ctx = { ...base, db };
      const output = workspace ? await op.handler({ ...ctx, workspace }, input) : await (op.handler as (c: OrgContext, i: unknown) => Promise<unknown>)(ctx, input);
      const check = compiled.outputCheck();
      if (!check(output)) {
        opts.log.error({ operation: op.name, issues: check.errors }, 'operation output does not match its schema');
        throw new AppError('internal', 'The server produced an invalid result; the error was logged');
      }
      return output;
    };
    if (!idempotencyKey) return { output: await run(base.db), replayed: false };

    const hashed = requestHash(op.name, { ...input, workspace_id: workspace?.id });
    const { result, replayed } = await runIdempotent(base.db, base.clock, { organizationId: principal.organizationId, apiKeyId: principal.keyId, key: idempotencyKey, operation: op.name, hash: hashed }, run);
    // A stored result comes back from jsonb with its keys reordered; parsing restores the declared order.
    return { output: replayed ? op.output.parse(result) : result, replayed };
  }
}
