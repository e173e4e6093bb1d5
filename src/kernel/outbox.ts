import type { Kysely } from 'kysely';
import type { Database, EventRow } from '../adapters/db/schema.js';
import type { Workspace } from './context.js';
import { newId } from './ids.js';

export interface DomainEvent {
  id: string;
  type: string;
  prospect_id: string | null;
  data: Record<string, unknown>;
  /** True for events of an `is_test` workspace: nothing real happened outside Switchboard. */
  is_test: boolean;
  created_at: string;
}

export function toEvent(row: Pick<EventRow, 'id' | 'type' | 'prospect_id' | 'data' | 'is_test' | 'created_at'>): DomainEvent {
  return { ...row, created_at: row.created_at.toISOString() };
}

/**
 * Appends a domain event to the outbox. Call it with the transaction that made the change, so the
 * event exists exactly when the change does; delivery (webhooks) reads the outbox afterwards.
 */
export async function appendEvent(
  trx: Kysely<Database>,
  workspace: Pick<Workspace, 'id' | 'is_test'>,
  type: string,
  data: Record<string, unknown>,
  at: Date,
  prospectId: string | null = null,
): Promise<DomainEvent> {
  const row = await trx
    .insertInto('events')
    .values({
      workspace_id: workspace.id,
      id: newId('evt', at),
      type,
      prospect_id: prospectId,
      data: JSON.stringify(data),
      is_test: workspace.is_test,
      created_at: at,
    })
    .returning(['id', 'type', 'prospect_id', 'data', 'is_test', 'created_at'])
    .executeTakeFirstOrThrow();
  return toEvent(row);
}
