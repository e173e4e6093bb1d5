import type { Kysely } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import { transact } from '../../kernel/transact.js';
import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { appendEvent } from '../../kernel/outbox.js';
import { newId, randomToken } from '../../kernel/ids.js';
import { outreachSettings } from './settings.model.js';
import { type Page, type PageRequest, keysetPage, newestFirst } from '../../kernel/pagination.js';
import { getProspect } from '../prospects/index.js';
import { isSuppressed } from '../suppression/index.js';
import { getTemplate, renderTemplate } from '../templates/index.js';

export const DRAFT_STATUSES = ['pending_approval', 'approved', 'rejected', 'sending', 'sent', 'failed'] as const;
export type DraftStatus = (typeof DRAFT_STATUSES)[number];

export interface Draft {
  id: string;
  prospect_id: string;
  to_email: string;
  subject: string;
  body: string;
  status: DraftStatus;
  variables: Record<string, unknown>;
  /** How the draft was made: template, and the model and prompt hash when Claude rewrote it. */
  provenance: Record<string, unknown>;
  rejection_reason: string | null;
  approved_at: string | null;
  sent_at: string | null;
  send_error: string | null;
  attention: string | null;
  created_at: string;
  updated_at: string;
}

const COLUMNS = [
  'id',
  'prospect_id',
  'to_email',
  'subject',
  'body',
  'status',
  'variables',
  'provenance',
  'rejection_reason',
  'approved_at',
  'sent_at',
  'send_error',
  'attention',
  'created_at',
  'updated_at',
] as const;

type DraftRow = Omit<Draft, 'approved_at' | 'sent_at' | 'created_at' | 'updated_at'> & {
  approved_at: Date | null;
  sent_at: Date | null;
  created_at: Date;
  updated_at: Date;
};
const toDraft = (row: DraftRow): Draft => ({
  ...row,
  approved_at: row.approved_at?.toISOString() ?? null,
  sent_at: row.sent_at?.toISOString() ?? null,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

const LINE_BREAK = /[\r\n\u0085\u2028\u2029]/;

/** The facts a template (and Claude) may use: the prospect's fields, the workspace name, the caller's variables. */
function factsFor(
  prospect: Awaited<ReturnType<typeof getProspect>>,
  workspaceName: string,
  variables: Record<string, unknown>,
) {
  const { id: _id, created_at: _c, updated_at: _u, status: _s, tags: _t, ...fields } = prospect;
  // The caller's variables cannot replace what is known about the prospect or the workspace.
  return { ...variables, prospect: { ...fields, ...fields.custom_fields }, workspace: { name: workspaceName } };
}

/**
 * Drafts an email to a prospect from a template: rendered with the prospect, workspace and given
 * variables, then, when the workspace enables personalization and Claude is configured, rewritten
 * within its tone and length without new facts. The draft waits for a human's approval.
 */
export async function createDraft(
  ctx: RequestContext,
  input: { prospect_id: string; template_key: string; variables: Record<string, unknown> },
): Promise<Draft> {
  const prospect = await getProspect(ctx, input.prospect_id);
  if (await isSuppressed(ctx.db, ctx.workspace.id, prospect.email)) {
    throw new AppError('suppressed', `${prospect.email} is on the suppression list: no draft can be made for it`, {
      param: 'prospect_id',
    });
  }
  const template = await getTemplate(ctx, input.template_key, 'template_key');
  const facts = factsFor(prospect, ctx.workspace.name, input.variables);
  const rendered = renderTemplate({ subject: template.subject ?? '', body: template.body }, facts);
  const settings = outreachSettings(ctx.workspace);
  const provenance: Record<string, unknown> = {
    template_id: template.id,
    template_key: template.key,
    personalized: false,
    model: null,
    prompt_hash: null,
  };
  let { subject, body } = rendered;
  if (settings.personalization.enabled && ctx.llm.kind === 'anthropic') {
    const rewrite = await ctx.llm.rewriteDraft({
      subject,
      body,
      facts,
      tone: settings.personalization.tone,
      maxWords: settings.personalization.max_words,
    });
    ({ subject, body } = rewrite);
    Object.assign(provenance, { personalized: true, model: rewrite.model, prompt_hash: rewrite.promptHash });
  }
  if (!subject.trim())
    throw new AppError('invalid_request', `Template ${template.key} renders an empty subject; emails need one`, {
      param: 'template_key',
    });
  // The subject becomes a mail header: a line break from the template, a variable or a prospect field
  // stored before such fields were refused would split it, so it is refused here rather than at send time.
  if (LINE_BREAK.test(subject)) {
    const param = LINE_BREAK.test(template.subject ?? '')
      ? 'template_key'
      : Object.values(input.variables).some((v) => typeof v === 'string' && LINE_BREAK.test(v))
        ? 'variables'
        : 'prospect_id';
    throw new AppError(
      'invalid_request',
      `The subject rendered from template ${template.key} contains a line break (from ${param}); a subject must be one line`,
      { param },
    );
  }

  return transact(ctx.db, async (trx) => {
    const now = ctx.clock.now();
    const row = await trx
      .insertInto('drafts')
      .values({
        workspace_id: ctx.workspace.id,
        id: newId('drf', now),
        prospect_id: prospect.id,
        to_email: prospect.email,
        subject,
        body,
        status: 'pending_approval',
        variables: JSON.stringify(input.variables),
        provenance: JSON.stringify(provenance),
        token: randomToken(20),
        created_at: now,
        updated_at: now,
      })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    await appendEvent(
      trx,
      ctx,
      'draft.created',
      { draft_id: row.id, template_key: template.key, personalized: provenance.personalized === true },
      { at: now, prospectId: prospect.id },
    );
    return toDraft(row);
  });
}

export async function getDraft(ctx: RequestContext, draftId: string): Promise<Draft> {
  const row = await ctx.db
    .selectFrom('drafts')
    .select(COLUMNS)
    .where('workspace_id', '=', ctx.workspace.id)
    .where('id', '=', draftId)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `Draft ${draftId} not found`, { param: 'draft_id' });
  return toDraft(row);
}

/** Drafts newest first, by status or prospect. */
export async function listDrafts(
  ctx: RequestContext,
  filters: { status?: DraftStatus | undefined; prospect_id?: string | undefined },
  page: PageRequest,
): Promise<Page<Draft>> {
  // An unknown prospect is reported, not answered with an empty list that hides a typo.
  if (filters.prospect_id) await getProspect(ctx, filters.prospect_id);
  let q = ctx.db.selectFrom('drafts').select(COLUMNS).where('workspace_id', '=', ctx.workspace.id);
  if (filters.status) q = q.where('status', '=', filters.status);
  if (filters.prospect_id) q = q.where('prospect_id', '=', filters.prospect_id);
  return keysetPage(q, newestFirst, page, filters, toDraft);
}

async function lockPending(ctx: RequestContext, trx: RequestContext['db'], draftId: string, action: string) {
  const row = await trx
    .selectFrom('drafts')
    .select(COLUMNS)
    .where('workspace_id', '=', ctx.workspace.id)
    .where('id', '=', draftId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `Draft ${draftId} not found`, { param: 'draft_id' });
  if (row.status !== 'pending_approval') {
    throw new AppError('conflict', `Draft ${draftId} is ${row.status}; only pending_approval drafts can be ${action}`);
  }
  return row;
}

/** A human's edit of a pending draft. */
export async function updateDraft(
  ctx: RequestContext,
  draftId: string,
  input: { subject?: string | undefined; body?: string | undefined },
): Promise<Draft> {
  return transact(ctx.db, async (trx) => {
    const row = await lockPending(ctx, trx, draftId, 'edited');
    const changes = Object.fromEntries(
      Object.entries(input).filter(([k, v]) => v !== undefined && v !== row[k as 'subject' | 'body']),
    );
    if (!Object.keys(changes).length) return toDraft(row);
    const now = ctx.clock.now();
    const updated = await trx
      .updateTable('drafts')
      .set({ ...changes, updated_at: now })
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', draftId)
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    await appendEvent(
      trx,
      ctx,
      'draft.updated',
      { draft_id: draftId, changed_fields: Object.keys(changes) },
      { at: now, prospectId: row.prospect_id },
    );
    return toDraft(updated);
  });
}

/** Rejects a pending draft, with the reason, so it is never sent. */
export async function rejectDraft(ctx: RequestContext, draftId: string, reason: string): Promise<Draft> {
  return transact(ctx.db, async (trx) => {
    const row = await lockPending(ctx, trx, draftId, 'rejected');
    const now = ctx.clock.now();
    const updated = await trx
      .updateTable('drafts')
      .set({ status: 'rejected', rejection_reason: reason, updated_at: now })
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', draftId)
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    await appendEvent(
      trx,
      ctx,
      'draft.rejected',
      { draft_id: draftId, reason },
      { at: now, prospectId: row.prospect_id },
    );
    return toDraft(updated);
  });
}

/** Approves a pending draft and queues its sending (a durable job, in the same transaction). */
export async function approveDraft(ctx: RequestContext, draftId: string): Promise<Draft> {
  return transact(ctx.db, async (trx) => {
    const row = await lockPending(ctx, trx, draftId, 'approved');
    if (!outreachSettings(ctx.workspace).sender) {
      throw new AppError(
        'invalid_request',
        'This workspace has no sender: set it with update_outreach_settings (PUT /api/v1/workspaces/{id}/outreach) before approving drafts',
      );
    }
    if (await isSuppressed(trx, ctx.workspace.id, row.to_email)) {
      throw new AppError(
        'suppressed',
        `${row.to_email} is on the suppression list: the draft cannot be approved; reject it instead`,
      );
    }
    const now = ctx.clock.now();
    const updated = await trx
      .updateTable('drafts')
      .set({ status: 'approved', approved_at: now, approved_by: ctx.actor.id, updated_at: now })
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', draftId)
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    await ctx.jobs.enqueue(trx, 'outreach.send', { workspace_id: ctx.workspace.id, draft_id: draftId });
    await appendEvent(trx, ctx, 'draft.approved', { draft_id: draftId }, { at: now, prospectId: row.prospect_id });
    return toDraft(updated);
  });
}

/**
 * Marks the prospect's drafts still awaiting approval: the prospect has written back, so whoever
 * approves should read the reply first (the draft may no longer fit). Returns the drafts marked.
 */
export async function flagPendingDrafts(
  trx: Kysely<Database>,
  workspaceId: string,
  prospectId: string,
  attention: string,
  now: Date,
): Promise<string[]> {
  const rows = await trx
    .updateTable('drafts')
    .set({ attention, updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('prospect_id', '=', prospectId)
    .where('status', '=', 'pending_approval')
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}
