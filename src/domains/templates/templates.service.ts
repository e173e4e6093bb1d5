import type { Kysely } from 'kysely';
import type { Database, TemplateRow } from '../../adapters/db/schema.js';
import { transact } from '../../kernel/transact.js';
import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { appendEvent } from '../../kernel/outbox.js';
import { newId } from '../../kernel/ids.js';
import { type Page, type PageRequest, byKey, keysetPage } from '../../kernel/pagination.js';
import { type RenderedTemplate, parseTemplate, placeholderNames, renderTemplate } from './render.js';

export { renderTemplate } from './render.js';

export const TEMPLATE_CATEGORIES = ['custom', 'chat', 'widget', 'agent', 'email'] as const;
export type TemplateCategory = (typeof TEMPLATE_CATEGORIES)[number];

/**
 * Lower-case letters and digits, with single `-`, `_` or `.` between them. `tpl_` is reserved
 * because a template is addressed by its id or its key in the same parameter.
 */
export const TEMPLATE_KEY_PATTERN = /^(?!tpl_)[a-z0-9]+(?:[-_.][a-z0-9]+)*$/;
const ID_PREFIX = 'tpl';

export interface Template {
  id: string;
  key: string;
  name: string;
  category: TemplateCategory;
  subject: string | null;
  body: string;
  /** The placeholder names the template uses, subject first, each once. */
  variables: string[];
  created_at: string;
  updated_at: string;
}

export interface TemplateInput {
  key: string;
  name: string;
  category?: TemplateCategory | undefined;
  subject?: string | null | undefined;
  body: string;
}

const COLUMNS = ['id', 'key', 'name', 'category', 'subject', 'body', 'created_at', 'updated_at'] as const;
type Columns = Pick<TemplateRow, (typeof COLUMNS)[number]>;

function toTemplate(row: Columns): Template {
  const variables = placeholderNames(
    row.subject === null ? [] : parseTemplate(row.subject, 'subject'),
    parseTemplate(row.body),
  );
  return { ...row, variables, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() };
}

function checkKey(key: string): void {
  if (!TEMPLATE_KEY_PATTERN.test(key)) {
    throw new AppError(
      'invalid_request',
      `key "${key}" is not valid: use lower-case letters and digits with - _ or . between them (e.g. "welcome-email"); keys may not start with tpl_`,
      {
        param: 'key',
      },
    );
  }
}

/** Parses subject and body, so a template with a syntax error is never stored. */
function checkSyntax(input: { subject?: string | null | undefined; body?: string | undefined }): void {
  if (input.subject !== undefined && input.subject !== null) parseTemplate(input.subject, 'subject');
  if (input.body !== undefined) parseTemplate(input.body, 'body');
}

const keyTaken = (key: string) =>
  new AppError(
    'conflict',
    `A template with key "${key}" already exists in this workspace; choose another key or update that template`,
    { param: 'key' },
  );
const notFound = (ref: string, param: string) => new AppError('not_found', `Template ${ref} not found`, { param });
const isUniqueViolation = (e: unknown) => (e as { code?: unknown } | null)?.code === '23505';

/** Creates a template. Fails with conflict when the key is taken in the workspace. */
export async function createTemplate(ctx: RequestContext, input: TemplateInput): Promise<Template> {
  checkKey(input.key);
  checkSyntax(input);
  return transact(ctx.db, async (trx) => {
    const now = ctx.clock.now();
    const row = await trx
      .insertInto('templates')
      .values({
        workspace_id: ctx.workspace.id,
        id: newId(ID_PREFIX, now),
        key: input.key,
        name: input.name,
        category: input.category ?? 'custom',
        subject: input.subject ?? null,
        body: input.body,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['workspace_id', 'key']).doNothing())
      .returning(COLUMNS)
      .executeTakeFirst();
    if (!row) throw keyTaken(input.key);
    await appendEvent(
      trx,
      ctx,
      'template.created',
      { template_id: row.id, key: row.key, name: row.name, category: row.category },
      { at: now },
    );
    return toTemplate(row);
  });
}

/** Templates ordered by key, optionally of one category. */
export async function listTemplates(
  ctx: RequestContext,
  filters: { category?: TemplateCategory | undefined },
  page: PageRequest,
): Promise<Page<Template>> {
  let q = ctx.db.selectFrom('templates').select(COLUMNS).where('workspace_id', '=', ctx.workspace.id);
  if (filters.category) q = q.where('category', '=', filters.category);
  return keysetPage(q, byKey, page, filters, toTemplate);
}

/** Whether a reference is an id (`tpl_...`) or a key; the two cannot collide (see TEMPLATE_KEY_PATTERN). */
const refColumn = (ref: string) => (ref.startsWith(`${ID_PREFIX}_`) ? 'id' : 'key');

function findRow(db: Kysely<Database>, workspaceId: string, ref: string, lock = false) {
  let q = db
    .selectFrom('templates')
    .select(COLUMNS)
    .where('workspace_id', '=', workspaceId)
    .where(refColumn(ref), '=', ref);
  if (lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

/** One template by id or key; `param` names the input in a not_found error. */
export async function getTemplate(ctx: RequestContext, ref: string, param = 'template_id'): Promise<Template> {
  const row = await findRow(ctx.db, ctx.workspace.id, ref);
  if (!row) throw notFound(ref, param);
  return toTemplate(row);
}

/** Changes the fields given; an unchanged template is returned as it is, without an event. */
export async function updateTemplate(
  ctx: RequestContext,
  ref: string,
  input: Partial<TemplateInput>,
): Promise<Template> {
  if (input.key !== undefined) checkKey(input.key);
  checkSyntax(input);
  return transact(ctx.db, async (trx) => {
    const current = await findRow(trx, ctx.workspace.id, ref, true);
    if (!current) throw notFound(ref, 'template_id');
    const changes = Object.fromEntries(
      Object.entries(input).filter(
        ([field, value]) => value !== undefined && value !== current[field as keyof typeof current],
      ),
    ) as Partial<TemplateInput>;
    const changed = Object.keys(changes);
    if (!changed.length) return toTemplate(current);
    const now = ctx.clock.now();
    const row = await trx
      .updateTable('templates')
      .set({ ...changes, updated_at: now })
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', current.id)
      .returning(COLUMNS)
      .executeTakeFirstOrThrow()
      .catch((e: unknown) => {
        throw isUniqueViolation(e) ? keyTaken(input.key!) : e;
      });
    await appendEvent(
      trx,
      ctx,
      'template.updated',
      { template_id: row.id, key: row.key, changed_fields: changed },
      { at: now },
    );
    return toTemplate(row);
  });
}

/** Deletes a template (by id or key). Text already rendered from it is not affected. */
export async function deleteTemplate(ctx: RequestContext, ref: string): Promise<Template> {
  return transact(ctx.db, async (trx) => {
    const row = await trx
      .deleteFrom('templates')
      .where('workspace_id', '=', ctx.workspace.id)
      .where(refColumn(ref), '=', ref)
      .returning(COLUMNS)
      .executeTakeFirst();
    if (!row) throw notFound(ref, 'template_id');
    await appendEvent(trx, ctx, 'template.deleted', { template_id: row.id, key: row.key });
    return toTemplate(row);
  });
}

/** Renders a stored template (by id or key) with the given variables, without saving anything. */
export async function renderStoredTemplate(
  ctx: RequestContext,
  ref: string,
  variables: Record<string, unknown>,
): Promise<RenderedTemplate> {
  return renderTemplate(await getTemplate(ctx, ref), variables);
}
