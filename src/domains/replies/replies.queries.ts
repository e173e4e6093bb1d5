import type { Kysely } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';

/** Replies with the message each one is: the only way replies are read. */
export function selectReplies(db: Kysely<Database>, workspaceId: string) {
  return db
    .selectFrom('replies as r')
    .innerJoin('messages as m', (j) => j.onRef('m.workspace_id', '=', 'r.workspace_id').onRef('m.id', '=', 'r.id'))
    .select([
      'r.id',
      'r.conversation_id',
      'r.prospect_id',
      'r.draft_id',
      'r.from_email',
      'm.recipient',
      'm.subject',
      'm.body',
      'm.message_id',
      'm.in_reply_to',
      'r.via',
      'r.attachment_count',
      'r.label',
      'r.confidence',
      'r.reason',
      'r.hot',
      'r.return_date',
      'r.referral_email',
      'r.model',
      'r.corrected_by_type',
      'r.corrected_by_id',
      'r.corrected_at',
      'r.received_at',
      'r.created_at',
    ])
    .where('r.workspace_id', '=', workspaceId);
}
