import type { Kysely } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import type { RequestContext, Workspace } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { type EventSource, appendEvent } from '../../kernel/outbox.js';
import { type Page, type PageRequest, keysetPage, newestFirst } from '../../kernel/pagination.js';
import { transact } from '../../kernel/transact.js';
import type { JobQueue } from '../../kernel/ports.js';
import { getConversation, lockConversation, setConversationStatus } from '../conversations/index.js';
import { writeSettingsSection } from '../tenancy/index.js';
import {
  ESCALATION_COLUMNS,
  type Escalation,
  type EscalationSettings,
  type Priority,
  escalationSettings,
  higher,
  raised,
  toEscalation,
} from './escalations.model.js';

export interface EscalateInput {
  conversationId: string;
  reason: string;
  /** Unset: `normal` for a new escalation, one step up for a conversation already escalated. */
  priority?: Priority | undefined;
}

/**
 * Hands a conversation to a person, in the caller's transaction. A conversation has at most one open
 * escalation: escalating it again adds the reason and raises the priority. The workspace's
 * notification address, if set, gets an email through a durable job (never for `is_test`).
 */
export async function openEscalation(
  trx: Kysely<Database>,
  source: EventSource & { workspace: Pick<Workspace, 'id' | 'is_test' | 'settings'> },
  jobs: JobQueue,
  input: EscalateInput,
): Promise<{ escalation: Escalation; created: boolean }> {
  const ws = source.workspace.id;
  const now = source.clock.now();
  const conversation = await lockConversation(trx, ws, input.conversationId);
  const open = await trx
    .selectFrom('escalations')
    .select(ESCALATION_COLUMNS)
    .where('workspace_id', '=', ws)
    .where('conversation_id', '=', conversation.id)
    .where('status', '=', 'open')
    .executeTakeFirst();
  let row: NonNullable<typeof open>;
  if (open) {
    const priority = input.priority ? higher(input.priority, raised(open.priority)) : raised(open.priority);
    row = await trx
      .updateTable('escalations')
      .set({ priority, reasons: [...open.reasons, input.reason], updated_at: now })
      .where('workspace_id', '=', ws)
      .where('id', '=', open.id)
      .returning(ESCALATION_COLUMNS)
      .executeTakeFirstOrThrow();
  } else {
    row = await trx
      .insertInto('escalations')
      .values({
        workspace_id: ws,
        id: newId('esc', now),
        conversation_id: conversation.id,
        prospect_id: conversation.prospect_id,
        status: 'open',
        priority: input.priority ?? 'normal',
        reasons: [input.reason],
        assignee: null,
        resolution: null,
        opened_by_type: source.actor.type,
        opened_by_id: source.actor.id,
        resolved_by_type: null,
        resolved_by_id: null,
        resolved_at: null,
        created_at: now,
        updated_at: now,
      })
      .returning(ESCALATION_COLUMNS)
      .executeTakeFirstOrThrow();
  }
  if (conversation.status !== 'escalated') await setConversationStatus(trx, ws, conversation.id, 'escalated', now);
  await appendEvent(
    trx,
    source,
    'conversation.escalated',
    {
      conversation_id: conversation.id,
      escalation_id: row.id,
      priority: row.priority,
      reason: input.reason,
      repeated: Boolean(open),
    },
    { at: now, prospectId: conversation.prospect_id },
  );
  const settings = escalationSettings(source.workspace.settings);
  if (settings.notify_email && !source.workspace.is_test) {
    await jobs.enqueue(trx, 'escalations.notify', {
      workspace_id: ws,
      escalation_id: row.id,
      // One notification per escalation step: a retry of the same step sends the same email once.
      step: row.reasons.length,
    });
  }
  return { escalation: toEscalation(row), created: !open };
}

export async function escalateToHuman(
  ctx: RequestContext,
  input: EscalateInput,
): Promise<{ escalation: Escalation; created: boolean }> {
  return transact(ctx.db, (trx) => openEscalation(trx, ctx, ctx.jobs, input));
}

export interface EscalationFilters {
  status?: Escalation['status'] | undefined;
  priority?: Priority | undefined;
  assignee?: string | undefined;
  conversation_id?: string | undefined;
}

/** The inbox: escalations newest first. */
export async function listEscalations(
  ctx: RequestContext,
  filters: EscalationFilters,
  page: PageRequest,
): Promise<Page<Escalation>> {
  if (filters.conversation_id) await getConversation(ctx, filters.conversation_id);
  let q = ctx.db.selectFrom('escalations').select(ESCALATION_COLUMNS).where('workspace_id', '=', ctx.workspace.id);
  if (filters.status) q = q.where('status', '=', filters.status);
  if (filters.priority) q = q.where('priority', '=', filters.priority);
  if (filters.assignee) q = q.where('assignee', '=', filters.assignee);
  if (filters.conversation_id) q = q.where('conversation_id', '=', filters.conversation_id);
  return keysetPage(q, newestFirst, page, filters, toEscalation);
}

export async function getEscalation(ctx: RequestContext, escalationId: string): Promise<Escalation> {
  const row = await ctx.db
    .selectFrom('escalations')
    .select(ESCALATION_COLUMNS)
    .where('workspace_id', '=', ctx.workspace.id)
    .where('id', '=', escalationId)
    .executeTakeFirst();
  if (!row) throw notFound(escalationId);
  return toEscalation(row);
}

const notFound = (id: string) => new AppError('not_found', `Escalation ${id} not found`, { param: 'escalation_id' });

async function lockOpen(trx: Kysely<Database>, ctx: RequestContext, escalationId: string) {
  const row = await trx
    .selectFrom('escalations')
    .select(ESCALATION_COLUMNS)
    .where('workspace_id', '=', ctx.workspace.id)
    .where('id', '=', escalationId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound(escalationId);
  if (row.status !== 'open')
    throw new AppError('conflict', `Escalation ${escalationId} is already resolved`, { param: 'escalation_id' });
  return row;
}

/** Gives an open escalation to someone (or to no one, with null). */
export async function assignEscalation(
  ctx: RequestContext,
  escalationId: string,
  assignee: string | null,
): Promise<Escalation> {
  return transact(ctx.db, async (trx) => {
    const current = await lockOpen(trx, ctx, escalationId);
    if (current.assignee === assignee) return toEscalation(current);
    const now = ctx.clock.now();
    const row = await trx
      .updateTable('escalations')
      .set({ assignee, updated_at: now })
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', escalationId)
      .returning(ESCALATION_COLUMNS)
      .executeTakeFirstOrThrow();
    await appendEvent(
      trx,
      ctx,
      'escalation.assigned',
      { escalation_id: row.id, conversation_id: row.conversation_id, assignee },
      { at: now, prospectId: row.prospect_id },
    );
    return toEscalation(row);
  });
}

/** Closes an escalation: the conversation goes back to `open`. */
export async function resolveEscalation(
  ctx: RequestContext,
  escalationId: string,
  resolution: string,
): Promise<Escalation> {
  return transact(ctx.db, async (trx) => {
    const current = await lockOpen(trx, ctx, escalationId);
    const now = ctx.clock.now();
    const row = await trx
      .updateTable('escalations')
      .set({
        status: 'resolved',
        resolution,
        resolved_by_type: ctx.actor.type,
        resolved_by_id: ctx.actor.id,
        resolved_at: now,
        updated_at: now,
      })
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', current.id)
      .returning(ESCALATION_COLUMNS)
      .executeTakeFirstOrThrow();
    await setConversationStatus(trx, ctx.workspace.id, row.conversation_id, 'open', now);
    await appendEvent(
      trx,
      ctx,
      'escalation.resolved',
      { escalation_id: row.id, conversation_id: row.conversation_id },
      { at: now, prospectId: row.prospect_id },
    );
    return toEscalation(row);
  });
}

/** Sets where escalation notifications go. */
export async function updateEscalationSettings(ctx: RequestContext, settings: EscalationSettings): Promise<Workspace> {
  const now = ctx.clock.now();
  return transact(ctx.db, async (trx) => {
    const workspace = await writeSettingsSection(trx, ctx.workspace.id, 'escalations', settings, 'replace', now);
    await appendEvent(trx, ctx, 'workspace.settings_updated', { section: 'escalations' }, { at: now });
    return workspace;
  }).finally(() => ctx.workspaceCache.forget(ctx.workspace.id));
}
