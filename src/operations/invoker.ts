import type { Logger } from 'pino';
import { hasScope } from '../domains/tenancy/index.js';
import type { Actor, OrgContext, Principal, Services } from '../kernel/context.js';
import type { AgentToolSpec, OperationCaller } from '../kernel/ports.js';
import { AppError } from '../kernel/errors.js';
import { requestHash, runIdempotent } from '../kernel/idempotency.js';
import { Catalog, type CompiledOperation, OPERATIONS } from './catalog.js';
import type { Operation } from './define.js';
import { checkInputValues } from './input-guard.js';

export interface InvokeOptions {
  requestId: string;
  log: Logger;
  /** From the REST `Idempotency-Key` header; MCP callers pass `idempotency_key` in the arguments. */
  idempotencyKey?: string | undefined;
  progress?: OrgContext['progress'];
  /** Aborted when the caller cancels (MCP notifications/cancelled). */
  signal?: AbortSignal | undefined;
  /** Who acts, when not the key itself (an agent run acting with the key's permissions). */
  actor?: Actor | undefined;
}

/** The one place where calls are checked and run: scope, input, tenancy, idempotency, output. */
export class Registry extends Catalog implements OperationCaller {
  constructor(
    private readonly deps: Services,
    operations: readonly Operation[] = OPERATIONS,
  ) {
    super(operations);
  }

  /**
   * Checks scope, parses input, resolves the workspace, applies idempotency, runs the handler and
   * checks its output against the declared schema. Throws AppError (or ZodError for bad input).
   */
  async invoke(
    compiled: CompiledOperation,
    principal: Principal,
    args: unknown,
    opts: InvokeOptions,
  ): Promise<{ output: unknown; replayed: boolean }> {
    const { op } = compiled;
    if (!hasScope(principal, op.scope)) {
      throw new AppError('forbidden', `${op.name} needs the ${op.scope} scope, which this API key does not have`);
    }
    checkInputValues(args);
    const {
      idempotency_key: argKey,
      workspace_id: workspaceRef,
      ...input
    } = compiled.input.parse(args ?? {}) as Record<string, unknown> & {
      idempotency_key?: string;
      workspace_id?: string;
    };
    if (argKey && opts.idempotencyKey && argKey !== opts.idempotencyKey) {
      throw new AppError('invalid_request', 'The Idempotency-Key header and idempotency_key differ; send one of them', {
        param: 'idempotency_key',
      });
    }
    const idempotencyKey = opts.idempotencyKey ?? argKey;
    if (idempotencyKey && !compiled.acceptsIdempotencyKey) {
      throw new AppError('invalid_request', `${op.name} takes no idempotency key`, { param: 'idempotency_key' });
    }

    const base: OrgContext = {
      ...this.deps,
      // An agent run passes its own actor; a person's key acts as that person (id: the key, which
      // names them); any other key as itself.
      actor:
        opts.actor ??
        (principal.person ? { type: 'person', id: principal.keyId } : { type: 'key', id: principal.keyId }),
      principal,
      log: opts.log,
      requestId: opts.requestId,
      progress: opts.progress,
      signal: opts.signal,
      operations: this,
    };
    const workspace =
      op.tenancy === 'workspace' ? await this.deps.workspaceCache.resolve(base.db, principal, workspaceRef) : undefined;
    // Outside any transaction, keyed or not: services open their own, and a handler may wait on a
    // job or call Claude, which must not hold a transaction (runIdempotent claims the key around it).
    const run = async () => {
      const output = workspace
        ? await op.handler({ ...base, workspace }, input)
        : await (op.handler as (c: OrgContext, i: unknown) => Promise<unknown>)(base, input);
      const check = compiled.outputCheck();
      if (!check(output)) {
        opts.log.error({ operation: op.name, issues: check.errors }, 'operation output does not match its schema');
        throw new AppError('internal', 'The server produced an invalid result; the error was logged');
      }
      return output;
    };
    if (!idempotencyKey) return { output: await run(), replayed: false };

    const hashed = requestHash(op.name, { ...input, workspace_id: workspace?.id });
    const { result, replayed } = await runIdempotent(
      base.db,
      base.clock,
      {
        organizationId: principal.organizationId,
        apiKeyId: principal.keyId,
        key: idempotencyKey,
        operation: op.name,
        hash: hashed,
      },
      run,
    );
    // A stored result comes back from jsonb with its keys reordered; parsing restores the declared order.
    return { output: replayed ? op.output.parse(result) : result, replayed };
  }

  // --- For agent runs (src/domains/agents): the same checks as every caller, the agent as actor.

  /** The MCP workspace operations among `names` that `principal` may call, as model tools. */
  tools(principal: Principal, names: readonly string[]): AgentToolSpec[] {
    return names.flatMap((name) => {
      const c = this.agentCallable(principal, name);
      if (!c) return [];
      const {
        workspace_id: _w,
        idempotency_key: _i,
        ...properties
      } = (c.inputJsonSchema.properties as Record<string, unknown> | undefined) ?? {};
      const required = ((c.inputJsonSchema.required as string[] | undefined) ?? []).filter((r) => r !== 'workspace_id');
      return [
        {
          name,
          description: c.op.description,
          input_schema: { type: 'object', properties, ...(required.length ? { required } : {}) },
        },
      ];
    });
  }

  async call(
    principal: Principal,
    name: string,
    args: Record<string, unknown>,
    opts: { actor: Actor; requestId: string; log: InvokeOptions['log']; signal?: AbortSignal | undefined },
  ): Promise<unknown> {
    const c = this.agentCallable(principal, name);
    if (!c) throw new AppError('forbidden', `${name} is not a tool this agent may call`);
    return (await this.invoke(c, principal, args, opts)).output;
  }

  private agentCallable(principal: Principal, name: string): CompiledOperation | undefined {
    const c = this.get(name);
    if (!c || c.op.mcp === false || c.op.tenancy !== 'workspace' || !hasScope(principal, c.op.scope)) return undefined;
    return c;
  }
}
