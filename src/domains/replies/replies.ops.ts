import { z } from 'zod';
import { defineOperation } from '../../operations/define.js';
import { CursorInput, LimitInput, freeFormInput, pageOutput, toPageOutput } from '../../operations/inputs.js';
import { idempotentWrite, readOnly, write } from '../../operations/presets.js';
import { THIRD_PARTY_NOTE } from '../../kernel/untrusted.js';
import { REPLY_LABELS } from './classify/index.js';
import { Reply } from './replies.model.js';
import * as replies from './replies.service.js';

const ReplyId = z.string().min(1).max(64).describe('Reply id (msg_...), as list_replies returns it');
const Day = z.iso.date().describe('A day as YYYY-MM-DD');
/** A header line may be folded but is never longer than RFC 5322's hard limit. */
const HeaderText = z.string().max(998);

const recordReply = defineOperation({
  name: 'record_reply',
  title: 'Record an inbound reply',
  toolset: 'conversations',
  scope: 'replies:write',
  description:
    'Record an email someone sent back, when it reached you outside Switchboard: it is threaded to the email it answers ' +
    '(in_reply_to / references, else the sender address), classified, and acted on (unsubscribe suppresses, an ' +
    'out-of-office snoozes, a hot lead is escalated). The same message_id recorded twice is stored once (created=false). ' +
    'Raw MIME can be posted to the inbound hook instead. Returns the stored reply with its classification.',
  input: z.object({
    from: z.email().max(254).describe('Sender address'),
    to: HeaderText.optional().describe('The address it was sent to'),
    subject: HeaderText.optional().describe('Its subject line'),
    body: z.string().min(1).max(200_000).describe('The plain-text body as received, quoted history included'),
    received_at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('When it was received (default now): relative dates in it ("back on Monday") count from it'),
    message_id: HeaderText.optional().describe('Its Message-ID header; makes recording it again harmless'),
    in_reply_to: HeaderText.optional().describe('Its In-Reply-To header'),
    references: z.array(HeaderText).max(100).optional().describe('The ids of its References header, oldest first'),
    headers: freeFormInput(z.string().max(998), { max: 100 })
      .optional()
      .describe('Other headers (Auto-Submitted, X-Autoreply, Precedence...): hints for the classifier'),
  }),
  output: Reply.extend({ created: z.boolean().describe('False when this message_id was already recorded') }),
  annotations: idempotentWrite,
  http: { method: 'POST', path: '/replies', status: 'created' },
  handler: async (ctx, input) => {
    const headers = Object.fromEntries(
      Object.entries(input.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
    );
    const { reply, created } = await replies.receiveReply(
      ctx,
      {
        messageId: input.message_id ?? null,
        inReplyTo: input.in_reply_to ?? null,
        references: input.references ?? [],
        from: { address: input.from, name: null },
        to: input.to ? [input.to] : [],
        subject: input.subject ?? null,
        text: input.body,
        headers,
        contentType: headers['content-type']?.split(';')[0]?.trim().toLowerCase() ?? null,
        receivedAt: input.received_at ? new Date(input.received_at) : null,
        attachmentCount: 0,
      },
      'api',
    );
    return { ...reply, created };
  },
});

const listReplies = defineOperation({
  name: 'list_replies',
  title: 'List replies',
  toolset: 'conversations',
  scope: 'replies:read',
  description:
    `List inbound replies, newest first, with their classification: filter by label, hot, prospect, conversation or a ` +
    `received_at range. Paginated with cursor. ${THIRD_PARTY_NOTE}`,
  input: z.object({
    label: z.enum(REPLY_LABELS).optional().describe('Only this label'),
    hot: z.boolean().optional().describe('Only hot (true) or only not hot (false) replies'),
    prospect_id: z.string().min(1).max(64).optional().describe('Only replies threaded to this prospect'),
    conversation_id: z.string().min(1).max(64).optional().describe('Only replies in this conversation'),
    received_after: z.iso.datetime({ offset: true }).optional().describe('Received at or after this instant'),
    received_before: z.iso.datetime({ offset: true }).optional().describe('Received before this instant'),
    cursor: CursorInput,
    limit: LimitInput,
  }),
  output: pageOutput('replies', Reply),
  annotations: readOnly,
  http: { method: 'GET', path: '/replies' },
  handler: async (ctx, { cursor, limit, ...filters }) =>
    toPageOutput('replies', await replies.listReplies(ctx, filters, { cursor, limit })),
});

const getReplyClassification = defineOperation({
  name: 'get_reply_classification',
  title: 'Get reply classification',
  toolset: 'conversations',
  scope: 'replies:read',
  description:
    'Read one reply and how it was classified: label, confidence, reason, hot, return_date, referral_email, and which ' +
    `model (or person) decided. ${THIRD_PARTY_NOTE}`,
  input: z.object({ reply_id: ReplyId }),
  output: Reply,
  annotations: readOnly,
  http: { method: 'GET', path: '/replies/{reply_id}' },
  handler: (ctx, { reply_id }) => replies.getReply(ctx, reply_id),
});

const reclassifyReply = defineOperation({
  name: 'reclassify_reply',
  title: 'Correct a reply classification',
  toolset: 'conversations',
  scope: 'replies:write',
  description:
    "A person's correction of a reply's label. It is kept with who made it, and its effects run again: corrected to " +
    'unsubscribe it suppresses the sender, to a hot label it escalates. Effects of the old label are not undone (remove a ' +
    'suppression explicitly). Returns the reply.',
  input: z.object({
    reply_id: ReplyId,
    label: z.enum(REPLY_LABELS).describe('The right label'),
    hot: z.boolean().optional().describe('Default: true for interested and meeting_request'),
    return_date: Day.nullable().optional().describe('For out_of_office and not_now'),
    referral_email: z.email().max(254).nullable().optional().describe('Another contact the reply gives'),
    bounce_kind: z.enum(['hard', 'soft']).optional().describe('For bounce; default hard'),
    reason: z.string().trim().min(1).max(500).optional().describe('Why, in one line'),
  }),
  output: Reply,
  annotations: write,
  http: { method: 'POST', path: '/replies/{reply_id}/reclassify' },
  handler: (ctx, { reply_id, ...fix }) => replies.reclassifyReply(ctx, reply_id, fix),
});

export const replyOperations = [recordReply, listReplies, getReplyClassification, reclassifyReply];
