import type { Kysely } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';

// The per-organization monthly quota of agent runs: a message to an agent (send_agent_message) and a
// one-shot run (execute_agent) each count one, in the transaction that records the run's start.

const firstOfNextMonth = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));

/** Counts one message against the organization's monthly quota; quota_exceeded, with the reset date, when spent. */
export async function countMessage(trx: Kysely<Database>, ctx: RequestContext, now: Date): Promise<void> {
  const limit = ctx.agents.monthlyMessages;
  const counted =
    limit > 0 &&
    (await trx
      .insertInto('agent_message_usage')
      .values({ organization_id: ctx.workspace.organization_id, month: now.toISOString().slice(0, 7), messages: 1 })
      .onConflict((oc) =>
        oc
          .columns(['organization_id', 'month'])
          .doUpdateSet((eb) => ({ messages: eb('agent_message_usage.messages', '+', 1) }))
          .where('agent_message_usage.messages', '<', limit),
      )
      .returning('messages')
      .executeTakeFirst());
  if (!counted) {
    const reset = firstOfNextMonth(now).toISOString();
    throw new AppError(
      'quota_exceeded',
      `This organization has used its ${limit} agent messages for this month; the quota resets on ${reset}`,
      { limit, resets_at: reset },
    );
  }
}
