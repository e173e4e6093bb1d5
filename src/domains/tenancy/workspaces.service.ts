import { type Kysely, sql } from 'kysely';
import type { Database, WorkspaceRow } from '../../adapters/db/schema.js';
import { transact } from '../../kernel/transact.js';
import { canSeeWorkspace } from './scopes.js';
import type { Clock } from '../../kernel/clock.js';
import type { OrgContext, Principal, RequestContext, Workspace } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';

const WORKSPACE_COLUMNS = [
  'id',
  'organization_id',
  'name',
  'slug',
  'is_test',
  'timezone',
  'settings',
  'created_at',
  'updated_at',
] as const;

export function toWorkspace(row: WorkspaceRow): Workspace {
  return { ...row, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() };
}

/**
 * Writes one section of a workspace's settings (`outreach`, ...), which the domain that owns the
 * section validates: `replace` sets it whole, `merge` sets only the given keys. Runs in the caller's
 * transaction; the caller forgets the workspace in the cache once it commits.
 */
export async function writeSettingsSection(
  trx: Kysely<Database>,
  workspaceId: string,
  section: string,
  value: Record<string, unknown>,
  mode: 'replace' | 'merge',
  now: Date,
): Promise<Workspace> {
  const json = JSON.stringify(value);
  const next =
    mode === 'replace' ? sql`${json}::jsonb` : sql`coalesce(settings->${section}, '{}'::jsonb) || ${json}::jsonb`;
  const row = await trx
    .updateTable('workspaces')
    .set({ settings: sql`jsonb_set(settings, array[${section}]::text[], ${next})`, updated_at: now })
    .where('id', '=', workspaceId)
    .returning(WORKSPACE_COLUMNS)
    .executeTakeFirstOrThrow();
  return toWorkspace(row);
}

function slugify(name: string): string {
  return (
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48) || 'workspace'
  );
}

export interface CreateWorkspaceInput {
  name: string;
  slug?: string | undefined;
  is_test?: boolean | undefined;
  timezone?: string | undefined;
}

/** Creates a workspace in the caller's organization. Needs a key granted every workspace. */
export async function createWorkspace(ctx: OrgContext, input: CreateWorkspaceInput): Promise<Workspace> {
  if (!ctx.principal.allWorkspaces) {
    throw new AppError('forbidden', 'Only a key granted all workspaces of the organization can create workspaces');
  }
  return insertWorkspace(ctx.db, ctx.clock, ctx.principal.organizationId, input);
}

export async function insertWorkspace(
  db: Kysely<Database>,
  clock: Clock,
  organizationId: string,
  input: CreateWorkspaceInput,
): Promise<Workspace> {
  const slug = input.slug ?? slugify(input.name);
  const timezone = input.timezone ?? 'UTC';
  if (!isTimeZone(timezone)) {
    throw new AppError('invalid_request', `timezone "${timezone}" is not an IANA time zone such as Europe/Paris`, {
      param: 'timezone',
    });
  }
  const now = clock.now();
  const row = await db
    .insertInto('workspaces')
    .values({
      id: newId('ws', now),
      organization_id: organizationId,
      name: input.name,
      slug,
      is_test: input.is_test ?? false,
      timezone,
      settings: JSON.stringify({}),
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['organization_id', 'slug']).doNothing())
    .returning(WORKSPACE_COLUMNS)
    .executeTakeFirst();
  if (!row)
    throw new AppError('conflict', `A workspace with slug "${slug}" already exists; choose another slug`, {
      param: 'slug',
    });
  return toWorkspace(row);
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The workspaces this key may see, oldest first. */
export async function listWorkspaces(ctx: OrgContext): Promise<Workspace[]> {
  const rows = await visibleWorkspaces(ctx.db, ctx.principal)
    .select(WORKSPACE_COLUMNS)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toWorkspace);
}

function visibleWorkspaces(db: Kysely<Database>, p: Principal) {
  let q = db.selectFrom('workspaces').where('organization_id', '=', p.organizationId);
  if (!p.allWorkspaces) q = p.workspaceIds.length ? q.where('id', 'in', p.workspaceIds) : q.where(sql<boolean>`false`);
  return q;
}

/**
 * Resolves the `workspace_id` a caller passed (an id or a slug) to a workspace it is granted.
 * One it is not granted is reported exactly like one that does not exist.
 */
export async function resolveWorkspace(
  db: Kysely<Database>,
  p: Principal,
  idOrSlug: string | undefined,
): Promise<Workspace> {
  if (idOrSlug === undefined) {
    const rows = await visibleWorkspaces(db, p).select(WORKSPACE_COLUMNS).limit(2).execute();
    if (rows.length === 1) return toWorkspace(rows[0]!);
    throw new AppError(
      'invalid_request',
      rows.length === 0
        ? 'This key is not granted any workspace'
        : 'workspace_id is required because this key can reach several workspaces; call list_workspaces or pass a workspace id or slug',
      { param: 'workspace_id' },
    );
  }
  const row = await db
    .selectFrom('workspaces')
    .select(WORKSPACE_COLUMNS)
    .where('organization_id', '=', p.organizationId)
    .where((eb) => eb.or([eb('id', '=', idOrSlug), eb('slug', '=', idOrSlug)]))
    .executeTakeFirst();
  if (!row || !canSeeWorkspace(p, row.id)) throw workspaceNotFound(idOrSlug);
  return toWorkspace(row);
}

export const workspaceNotFound = (idOrSlug: string) =>
  new AppError('not_found', `Workspace ${idOrSlug} not found`, { param: 'workspace_id' });

/** The workspace's configuration, as the agent should respect it. */
export async function getWorkspaceConfig(ctx: RequestContext): Promise<Workspace> {
  return ctx.workspace;
}

/** The organization CLI commands act on: the named one, else the oldest, else a new "Default". */
export async function defaultOrganization(db: Kysely<Database>, clock: Clock, orgId?: string): Promise<string> {
  if (orgId) {
    const org = await db.selectFrom('organizations').select('id').where('id', '=', orgId).executeTakeFirst();
    if (!org) throw new AppError('not_found', `Organization ${orgId} not found`, { param: 'org' });
    return org.id;
  }
  return transact(db, async (trx) => {
    // Serialises concurrent first starts (several nodes, or CLI and server) so only one default org is made.
    await sql`select pg_advisory_xact_lock(hashtext('switchboard.bootstrap'))`.execute(trx);
    const existing = await trx
      .selectFrom('organizations')
      .select('id')
      .orderBy('created_at')
      .orderBy('id')
      .executeTakeFirst();
    if (existing) return existing.id;
    const now = clock.now();
    const id = newId('org', now);
    await trx.insertInto('organizations').values({ id, name: 'Default', created_at: now }).execute();
    return id;
  });
}
