import { sql } from 'kysely';
import type { Services } from '../../kernel/context.js';
import { newId } from '../../kernel/ids.js';
import { type DomainEvent, EVENT_COLUMNS, toEvent } from '../../kernel/outbox.js';

/**
 * The body every endpoint receives for an event, in the Standard Webhooks shape `{type, timestamp,
 * data}`: the event's own data, plus the workspace, the prospect (when there is one), who acted and
 * whether it happened in a test workspace. Built once and stored, so every retry signs the same bytes.
 */
export function eventPayload(workspaceId: string, e: DomainEvent): string {
  return JSON.stringify({
    type: e.type,
    timestamp: e.created_at,
    data: {
      ...e.data,
      workspace_id: workspaceId,
      ...(e.prospect_id && !('prospect_id' in e.data) ? { prospect_id: e.prospect_id } : {}),
      actor: e.actor,
      is_test: e.is_test,
    },
  });
}

const subscribed = (events: string[] | null, type: string) => events === null || events.includes(type);

/**
 * Turns outbox events not yet dispatched into one pending delivery per subscribed, enabled endpoint,
 * and marks them dispatched, in one transaction. `SKIP LOCKED` lets several processes dispatch at
 * once without taking the same event; a crash before commit leaves the events for the next pass.
 * Returns how many events were dispatched.
 */
export async function dispatchEvents(services: Pick<Services, 'db' | 'clock'>, limit = 500): Promise<number> {
  return services.db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('events')
      .select(['workspace_id', ...EVENT_COLUMNS])
      .where('webhooks_dispatched_at', 'is', null)
      .orderBy('created_at')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
    if (!rows.length) return 0;
    const now = services.clock.now();
    const workspaces = [...new Set(rows.map((r) => r.workspace_id))];
    const endpoints = await trx
      .selectFrom('webhook_endpoints')
      .select(['workspace_id', 'id', 'events'])
      .where('workspace_id', 'in', workspaces)
      .where('enabled', '=', true)
      .execute();
    const deliveries = [];
    for (const { workspace_id, ...columns } of rows) {
      const targets = endpoints.filter((e) => e.workspace_id === workspace_id && subscribed(e.events, columns.type));
      if (!targets.length) continue;
      const event = toEvent(columns);
      const payload = eventPayload(workspace_id, event);
      for (const t of targets) {
        deliveries.push({
          workspace_id,
          id: newId('whd', now),
          endpoint_id: t.id,
          event_id: event.id,
          event_type: event.type,
          payload,
          status: 'pending' as const,
          attempts: 0,
          next_attempt_at: now,
          created_at: now,
          updated_at: now,
        });
      }
    }
    for (let i = 0; i < deliveries.length; i += 500) {
      await trx
        .insertInto('webhook_deliveries')
        .values(deliveries.slice(i, i + 500))
        .execute();
    }
    const keys = sql.join(rows.map((r) => sql`(${r.workspace_id}, ${r.id})`));
    await trx
      .updateTable('events')
      .set({ webhooks_dispatched_at: now })
      .where(sql<boolean>`(workspace_id, id) in (${keys})`)
      .execute();
    return rows.length;
  });
}
