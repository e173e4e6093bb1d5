import type { Kysely } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import type { Principal, RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { appendEvent } from '../../kernel/outbox.js';
import { type Page, type PageRequest, keysetPage, newestFirst } from '../../kernel/pagination.js';
import { transact } from '../../kernel/transact.js';
import { listKnowledgeBases } from '../knowledge/index.js';
import { AGENT_COLUMNS, type Agent, type AgentRow, toAgent } from './agents.model.js';
import { DEFAULT_INSTRUCTIONS, PRESETS, type Vertical } from './verticals.js';

/** What a caller sets on an agent; on create and replace, what is left out takes its default. */
export interface AgentFields {
  name?: string | undefined;
  instructions?: string | undefined;
  model?: string | null | undefined;
  temperature?: number | null | undefined;
  max_tokens?: number | null | undefined;
  goal_template?: string | null | undefined;
  tools?: string[] | undefined;
  knowledge_base_ids?: string[] | undefined;
  status?: 'active' | 'paused' | undefined;
  vertical?: Vertical | null | undefined;
}

// Agents never call agents: a message could otherwise make an agent run itself without end.
const AGENT_OPERATIONS = new Set([
  'list_agents',
  'get_agent',
  'create_agent',
  'update_agent',
  'replace_agent',
  'delete_agent',
  'send_agent_message',
  'list_agent_sessions',
  'close_agent_session',
  'execute_agent',
  'list_agent_executions',
]);

const principalOf = (ctx: RequestContext): Principal => {
  if (!ctx.principal || !ctx.operations) throw new AppError('forbidden', 'Agents are managed and run with an API key');
  return ctx.principal;
};

/**
 * The tools as asked, checked: each must be an MCP operation on workspace data (not an agent
 * operation) and within the calling key's scopes, so an agent is never wider than the key that made it.
 * Unset, the vertical's defaults, keeping those the key may call.
 */
function checkTools(ctx: RequestContext, asked: string[] | undefined, vertical: Vertical | null): string[] {
  const principal = principalOf(ctx);
  const callable = (names: readonly string[], p: Principal) =>
    new Set(ctx.operations!.tools(p, names).map((t) => t.name));
  if (asked === undefined) {
    const defaults = vertical ? PRESETS[vertical].tools : ['kb_search', 'escalate_to_human'];
    const allowed = callable(defaults, principal);
    return defaults.filter((t) => allowed.has(t));
  }
  const tools = [...new Set(asked)];
  const known = callable(tools, { ...principal, scopes: ['*'] });
  const unknown = tools.filter((t) => !known.has(t) || AGENT_OPERATIONS.has(t));
  if (unknown.length) {
    throw new AppError(
      'invalid_request',
      `Unknown tool(s) for an agent: ${unknown.join(', ')}. Tools are MCP operation names on workspace data (e.g. kb_search, escalate_to_human); agents cannot call agent operations`,
      { param: 'tools' },
    );
  }
  const allowed = callable(tools, principal);
  const wider = tools.filter((t) => !allowed.has(t));
  if (wider.length) {
    throw new AppError(
      'forbidden',
      `This API key lacks the scope of tool(s) ${wider.join(', ')}: an agent may only be given tools its key can call`,
      { param: 'tools' },
    );
  }
  return tools;
}

async function checkKnowledgeBases(ctx: RequestContext, ids: string[] | undefined): Promise<string[]> {
  if (!ids?.length) return [];
  const unique = [...new Set(ids)];
  const present = new Set((await listKnowledgeBases(ctx)).map((kb) => kb.id));
  const missing = unique.filter((id) => !present.has(id));
  if (missing.length) {
    throw new AppError('not_found', `Knowledge base ${missing[0]} not found`, { param: 'knowledge_base_ids' });
  }
  return unique;
}

/** Creates an agent; a vertical supplies default instructions, tools and escalation rules. */
export async function createAgent(ctx: RequestContext, input: AgentFields & { name: string }): Promise<Agent> {
  const vertical = input.vertical ?? null;
  const tools = checkTools(ctx, input.tools, vertical);
  const kbIds = await checkKnowledgeBases(ctx, input.knowledge_base_ids);
  const now = ctx.clock.now();
  return transact(ctx.db, async (trx) => {
    const row = await trx
      .insertInto('agents')
      .values({
        workspace_id: ctx.workspace.id,
        id: newId('agt', now),
        name: input.name,
        instructions: input.instructions ?? (vertical ? PRESETS[vertical].instructions : DEFAULT_INSTRUCTIONS),
        model: input.model ?? null,
        temperature: input.temperature ?? null,
        max_tokens: input.max_tokens ?? null,
        goal_template: input.goal_template ?? null,
        tools,
        knowledge_base_ids: kbIds,
        status: input.status ?? 'active',
        vertical,
        deleted_at: null,
        created_at: now,
        updated_at: now,
      })
      .returning(AGENT_COLUMNS)
      .executeTakeFirstOrThrow();
    await appendEvent(trx, ctx, 'agent.created', { agent_id: row.id, name: row.name, vertical }, { at: now });
    return toAgent(row);
  });
}

const notFound = (id: string) => new AppError('not_found', `Agent ${id} not found`, { param: 'agent_id' });

/** The agent row (not deleted), locked when `forUpdate`. */
export async function agentRow(db: Kysely<Database>, workspaceId: string, id: string, forUpdate = false) {
  let q = db
    .selectFrom('agents')
    .select(AGENT_COLUMNS)
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null);
  if (forUpdate) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw notFound(id);
  return row;
}

export async function getAgent(ctx: RequestContext, id: string): Promise<Agent> {
  return toAgent(await agentRow(ctx.db, ctx.workspace.id, id));
}

/** Agents, newest first. */
export async function listAgents(
  ctx: RequestContext,
  filters: { status?: 'active' | 'paused' | undefined },
  page: PageRequest,
): Promise<Page<Agent>> {
  let q = ctx.db
    .selectFrom('agents')
    .select(AGENT_COLUMNS)
    .where('workspace_id', '=', ctx.workspace.id)
    .where('deleted_at', 'is', null);
  if (filters.status) q = q.where('status', '=', filters.status);
  return keysetPage(q, newestFirst, page, filters, (row: AgentRow) => toAgent(row));
}

/**
 * Changes an agent. `replace` (PUT) resets what is left out to its default (the vertical's when it
 * has one); otherwise (PATCH) what is left out stays.
 */
export async function updateAgent(
  ctx: RequestContext,
  id: string,
  input: AgentFields,
  mode: 'patch' | 'replace',
): Promise<Agent> {
  const current = await agentRow(ctx.db, ctx.workspace.id, id);
  const vertical = input.vertical !== undefined ? input.vertical : mode === 'replace' ? null : current.vertical;
  const next: Partial<AgentRow> = {};
  if (input.name !== undefined) next.name = input.name;
  if (mode === 'replace' || input.vertical !== undefined) next.vertical = vertical;
  if (input.instructions !== undefined) next.instructions = input.instructions;
  else if (mode === 'replace') next.instructions = vertical ? PRESETS[vertical].instructions : DEFAULT_INSTRUCTIONS;
  for (const field of ['model', 'temperature', 'max_tokens', 'goal_template'] as const) {
    if (input[field] !== undefined) (next as Record<string, unknown>)[field] = input[field];
    else if (mode === 'replace') (next as Record<string, unknown>)[field] = null;
  }
  if (input.tools !== undefined || mode === 'replace') next.tools = checkTools(ctx, input.tools, vertical);
  if (input.knowledge_base_ids !== undefined || mode === 'replace')
    next.knowledge_base_ids = await checkKnowledgeBases(ctx, input.knowledge_base_ids);
  if (input.status !== undefined) next.status = input.status;
  else if (mode === 'replace') next.status = 'active';
  const changed = Object.keys(next).filter(
    (k) => JSON.stringify(next[k as keyof AgentRow]) !== JSON.stringify(current[k as keyof AgentRow]),
  );
  if (!changed.length) return toAgent(current);
  const now = ctx.clock.now();
  return transact(ctx.db, async (trx) => {
    await agentRow(trx, ctx.workspace.id, id, true);
    const row = await trx
      .updateTable('agents')
      .set({ ...next, updated_at: now })
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', id)
      .returning(AGENT_COLUMNS)
      .executeTakeFirstOrThrow();
    await appendEvent(trx, ctx, 'agent.updated', { agent_id: id, changed_fields: changed.sort() }, { at: now });
    return toAgent(row);
  });
}

/** Deletes an agent: it disappears, its sessions and executions stay (they still name it). */
export async function deleteAgent(ctx: RequestContext, id: string): Promise<{ deleted: true; id: string }> {
  const now = ctx.clock.now();
  return transact(ctx.db, async (trx) => {
    const row = await agentRow(trx, ctx.workspace.id, id, true);
    await trx
      .updateTable('agents')
      .set({ deleted_at: now, status: 'paused', updated_at: now })
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', id)
      .execute();
    await appendEvent(trx, ctx, 'agent.deleted', { agent_id: id, name: row.name }, { at: now });
    return { deleted: true as const, id };
  });
}
