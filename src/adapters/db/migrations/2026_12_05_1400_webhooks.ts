import { type Kysely, type Migration, sql } from 'kysely';
import type { SecretBox } from '../../../kernel/ports.js';

/**
 * The additional data a webhook secret is sealed with: the endpoint it belongs to, so a sealed value
 * copied to another endpoint does not open. The webhooks domain seals with the same string.
 */
export const webhookSecretContext = (workspaceId: string, endpointId: string) =>
  `webhook-secret:${workspaceId}:${endpointId}`;

/**
 * Webhook signing secrets sealed at rest with the server key, as mailbox passwords are: the
 * endpoints created before this stored them as given (`whsec_...`). This seals those, current and
 * previous, and adds checks that refuse a plain one from then on. It needs the server key, which
 * only the running server has, so it is built with the server's secret box; without a usable key
 * and with secrets to seal it stops with the remedy (set SWITCHBOARD_SECRET_KEY).
 */
export function sealWebhookSecrets(secrets: SecretBox | undefined): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const plain = await db
        .selectFrom('webhook_endpoints')
        .select(['workspace_id', 'id', 'secret', 'previous_secret'])
        .where((eb) => eb.or([eb('secret', 'like', 'whsec\\_%'), eb('previous_secret', 'like', 'whsec\\_%')]))
        .execute();
      if (plain.length && !secrets?.available)
        throw new Error(
          `${plain.length} webhook endpoint(s) hold signing secrets to seal with the server key, and this server has none: set SWITCHBOARD_SECRET_KEY (32 bytes, e.g. \`openssl rand -base64 32\`) and start again`,
        );
      for (const row of plain) {
        const context = webhookSecretContext(row.workspace_id, row.id);
        const seal = async (s: string | null) => (s?.startsWith('whsec_') ? await secrets!.seal(s, context) : s);
        await db
          .updateTable('webhook_endpoints')
          .set({ secret: await seal(row.secret), previous_secret: await seal(row.previous_secret) })
          .where('workspace_id', '=', row.workspace_id)
          .where('id', '=', row.id)
          .execute();
      }
      await sql`alter table webhook_endpoints add constraint webhook_endpoints_secret_sealed
        check (secret not like 'whsec\\_%' and (previous_secret is null or previous_secret not like 'whsec\\_%'))`.execute(
        db,
      );
      // The claim reads each endpoint's oldest due deliveries: an index probe per endpoint, whatever the backlog.
      await sql`create index if not exists webhook_deliveries_due_per_endpoint_idx
        on webhook_deliveries (workspace_id, endpoint_id, next_attempt_at, id) where status = 'pending'`.execute(db);
    },
    async down(db: Kysely<any>): Promise<void> {
      await sql`drop index webhook_deliveries_due_per_endpoint_idx`.execute(db);
      await sql`alter table webhook_endpoints drop constraint webhook_endpoints_secret_sealed`.execute(db);
    },
  };
}
