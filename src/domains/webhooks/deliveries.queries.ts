import type { Kysely } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';

/** What a delivery left pending when its endpoint was disabled records as its last error. */
export const DISABLED_ERROR = 'endpoint disabled before delivery';

/**
 * Fails every pending delivery of an endpoint being disabled, in the disabling transaction: nothing
 * more goes to it, and enabling it again does not flood the receiver with a backlog of old events.
 * They stay in the log as failed, so `redeliver_webhook failed_since` sends them when wanted. An
 * attempt already under way finishes, is logged, and leaves the delivery failed.
 */
export async function failPendingDeliveries(
  trx: Kysely<Database>,
  workspaceId: string,
  endpointId: string,
  now: Date,
): Promise<number> {
  const res = await trx
    .updateTable('webhook_deliveries')
    .set({ status: 'failed', lease_until: null, last_error: DISABLED_ERROR, updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}
