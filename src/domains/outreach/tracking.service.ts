import type { Logger } from 'pino';
import { type RequestContext, type Services, systemActor } from '../../kernel/context.js';
import { extractLinks } from './email-body.js';
import { AppError } from '../../kernel/errors.js';
import { appendEvent } from '../../kernel/outbox.js';
import { addSuppression } from '../suppression/index.js';
import { toWorkspace } from '../tenancy/index.js';

/** Opens, clicks and unsubscribes come from the recipient's mail client, not from a key. */
const TRACKING = systemActor('tracking');

/**
 * The sent email a tracking or unsubscribe link belongs to. These links carry no API key: the
 * draft's random token is the only credential, and an unknown token is simply not found.
 */
async function draftByToken(services: Services, token: string) {
  const row = await services.db
    .selectFrom('drafts as d')
    .innerJoin('workspaces as w', 'w.id', 'd.workspace_id')
    .select(['d.id', 'd.prospect_id', 'd.to_email', 'd.body', 'd.status'])
    .select([
      'w.id as ws_id',
      'w.organization_id',
      'w.name',
      'w.slug',
      'w.is_test',
      'w.timezone',
      'w.settings',
      'w.created_at',
      'w.updated_at',
    ])
    .where('d.token', '=', token)
    .where('d.status', '=', 'sent')
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', 'This link is not valid');
  const workspace = toWorkspace({ ...row, id: row.ws_id });
  return { workspace, draft: { id: row.id, prospect_id: row.prospect_id, to_email: row.to_email, body: row.body } };
}

/** Records that the email was displayed (its pixel was loaded). */
export async function recordOpen(services: Services, token: string): Promise<void> {
  const { workspace, draft } = await draftByToken(services, token);
  await appendEvent(
    services.db,
    { workspace, actor: TRACKING, clock: services.clock },
    'email.opened',
    { draft_id: draft.id },
    { prospectId: draft.prospect_id },
  );
}

/** Records a click and returns where to send the reader: only a link that was in the approved body. */
export async function recordClick(services: Services, token: string, index: number): Promise<string> {
  const { workspace, draft } = await draftByToken(services, token);
  const url = extractLinks(draft.body)[index];
  if (!url) throw new AppError('not_found', 'This link is not valid');
  await appendEvent(
    services.db,
    { workspace, actor: TRACKING, clock: services.clock },
    'email.clicked',
    { draft_id: draft.id, url },
    { prospectId: draft.prospect_id },
  );
  return url;
}

/** Adds the recipient to the suppression list (RFC 8058 one-click, or the confirmation page). */
export async function unsubscribe(services: Services, log: Logger, token: string): Promise<void> {
  const { workspace, draft } = await draftByToken(services, token);
  const ctx: RequestContext = {
    ...services,
    workspace,
    log,
    requestId: 'unsubscribe',
    actor: TRACKING,
  };
  const { created } = await addSuppression(
    ctx,
    { email: draft.to_email, reason: 'unsubscribed with the link in an email' },
    'unsubscribe',
  );
  if (created)
    await appendEvent(
      services.db,
      ctx,
      'email.unsubscribed',
      { draft_id: draft.id },
      { prospectId: draft.prospect_id },
    );
}
