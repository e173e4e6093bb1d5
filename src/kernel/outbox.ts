import type { Kysely } from 'kysely';
import type { Database, EventRow } from '../adapters/db/schema.js';
import type { Clock } from './clock.js';
import type { Actor, Workspace } from './context.js';
import { newId } from './ids.js';

/**
 * Every event a domain appends, with its data. One map, so a subscriber (webhooks, the console)
 * can rely on the shape of what it receives and a typo in an event name fails to compile.
 * Data holds ids and short facts, never message bodies.
 */
export interface EventMap {
  'workspace.settings_updated': { section: string };
  'prospect.created': { prospect_id: string; email: string };
  'prospect.updated': { prospect_id: string; changed_fields: string[] };
  'suppression.added': { suppression_id: string; value: string; reason: string; source: string };
  'suppression.removed': { suppression_id: string; value: string };
  'template.created': { template_id: string; key: string; name: string; category: string };
  'template.updated': { template_id: string; key: string; changed_fields: string[] };
  'template.deleted': { template_id: string; key: string };
  'draft.created': { draft_id: string; template_key: string; personalized: boolean };
  'draft.updated': { draft_id: string; changed_fields: string[] };
  'draft.rejected': { draft_id: string; reason: string };
  'draft.approved': { draft_id: string };
  'email.sent': { draft_id: string; provider: string };
  'email.failed': { draft_id: string; reason: string };
  'email.delivered': DeliveryEventData;
  'email.bounced': DeliveryEventData & { bounce_type: string; bounce_message: string | null };
  'email.complained': DeliveryEventData;
  'email.opened': { draft_id: string } | DeliveryEventData;
  'email.clicked': { draft_id: string; url: string } | (DeliveryEventData & { url: string });
  'email.unsubscribed': { draft_id: string };
  'sending.paused': { reason: string };
  'knowledge_base.created': { knowledge_base_id: string; name: string };
  'knowledge_base.deleted': { knowledge_base_id: string; name: string };
  'file.uploaded': {
    knowledge_base_id: string;
    document_id: string;
    name: string;
    content_type: string;
    size_bytes: number;
  };
  'document.ready': { knowledge_base_id: string; document_id: string; name: string; chunk_count: number };
  'document.failed': { knowledge_base_id: string; document_id: string; name: string; reason: string };
  'document.deleted': { knowledge_base_id: string; document_id: string; name: string };
  'reply.received': { reply_id: string; conversation_id: string; via: string; draft_id: string | null };
  'reply.classified': {
    reply_id: string;
    label: string;
    confidence: number;
    hot: boolean;
    return_date: string | null;
    model: string;
    /** True when a person corrected the label (reclassify_reply). */
    corrected: boolean;
  };
  'hot_lead.detected': { reply_id: string; conversation_id: string; label: string };
  'conversation.escalated': {
    conversation_id: string;
    escalation_id: string;
    priority: string;
    reason: string;
    /** True when the conversation was already escalated: the reason was added and the priority raised. */
    repeated: boolean;
  };
  'conversation.deleted': { conversation_id: string; channel: string; message_count: number };
  'escalation.assigned': { escalation_id: string; conversation_id: string; assignee: string | null };
  'escalation.resolved': { escalation_id: string; conversation_id: string };
  'booking.created': { booking_id: string; conversation_id: string | null; party_size: number; starts_at: string };
  'booking.updated': { booking_id: string; changed_fields: string[]; starts_at: string };
  'booking.cancelled': { booking_id: string; starts_at: string; reason: string | null };
  'webhook.created': { webhook_id: string; url: string; events: string[] | null };
  'webhook.updated': { webhook_id: string; changed_fields: string[] };
  'webhook.deleted': { webhook_id: string; url: string };
  'webhook.secret_rotated': { webhook_id: string; previous_secret_expires_at: string };
  'agent.created': { agent_id: string; name: string; vertical: string | null };
  'agent.updated': { agent_id: string; changed_fields: string[] };
  'agent.deleted': { agent_id: string; name: string };
  'session.created': { session_id: string; agent_id: string; channel: string };
  'session.closed': { session_id: string; agent_id: string; reason: 'closed' | 'expired' };
  /**
   * A message was stored: a customer's message to an agent (`session_id`, `agent_id`), or a message
   * to the model in a chat (`conversation_id`, `agent_id` null; before the model answers).
   */
  'message.created':
    | { message_id: string; session_id: string; agent_id: string }
    | { message_id: string; conversation_id: string; agent_id: null; channel: 'chat'; direction: 'inbound' };
  /** An agent answered (`session_id`), or the model's chat answer was stored (`conversation_id`; `partial` when the client left mid-stream). */
  'message.completed':
    | {
        message_id: string;
        session_id: string;
        agent_id: string;
        execution_id: string;
        status: 'completed' | 'escalated';
        citation_count: number;
      }
    | {
        message_id: string;
        conversation_id: string;
        agent_id: null;
        /** The message it answers. */
        in_reply_to_message_id: string;
        model: string;
        status: 'completed' | 'partial';
        stop_reason: string | null;
        input_tokens: number;
        output_tokens: number;
      };
  /** An agent run failed (`session_id`), or the model failed to answer a chat message (`conversation_id`; what it wrote first is `partial_message_id`). */
  'message.failed':
    | { message_id: string; session_id: string; agent_id: string; execution_id: string; reason: string }
    | {
        /** The message that was not answered. */
        message_id: string;
        conversation_id: string;
        agent_id: null;
        partial_message_id: string | null;
        code: string;
        reason: string;
      };
  'agent.executed': { agent_id: string; execution_id: string; status: string };
  /** Switchboard disabled an endpoint that failed without a success for 5 days. */
  'webhook.disabled': { webhook_id: string; url: string; reason: string; failing_since: string };
}
export type EventType = keyof EventMap;

/** Every event type at run time (webhook subscriptions are checked against it); the compiler keeps it equal to EventMap. */
export const EVENT_TYPES = [
  'workspace.settings_updated',
  'prospect.created',
  'prospect.updated',
  'suppression.added',
  'suppression.removed',
  'template.created',
  'template.updated',
  'template.deleted',
  'draft.created',
  'draft.updated',
  'draft.rejected',
  'draft.approved',
  'email.sent',
  'email.failed',
  'email.delivered',
  'email.bounced',
  'email.complained',
  'email.opened',
  'email.clicked',
  'email.unsubscribed',
  'sending.paused',
  'knowledge_base.created',
  'knowledge_base.deleted',
  'file.uploaded',
  'document.ready',
  'document.failed',
  'document.deleted',
  'reply.received',
  'reply.classified',
  'hot_lead.detected',
  'conversation.escalated',
  'conversation.deleted',
  'escalation.assigned',
  'escalation.resolved',
  'booking.created',
  'booking.updated',
  'booking.cancelled',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.secret_rotated',
  'webhook.disabled',
  'agent.created',
  'agent.updated',
  'agent.deleted',
  'session.created',
  'session.closed',
  'message.created',
  'message.completed',
  'message.failed',
  'agent.executed',
] as const satisfies readonly EventType[];
// A type in EventMap missing from EVENT_TYPES makes this `false`, and the assignment fails to compile.
const _everyEventListed: EventType extends (typeof EVENT_TYPES)[number] ? true : false = true;
void _everyEventListed;

/** What a mail provider's delivery report adds: which report it was, so a redelivery is recognised. */
interface DeliveryEventData {
  draft_id: string;
  webhook_id: string;
  provider: string;
}

export interface DomainEvent {
  id: string;
  type: string;
  prospect_id: string | null;
  data: Record<string, unknown>;
  /** Who did it: an API key, a person, an agent, or the system (tracking, provider webhooks, jobs). */
  actor: Actor;
  /** True for events of an `is_test` workspace: nothing real happened outside Switchboard. */
  is_test: boolean;
  created_at: string;
}

type EventColumns = Pick<
  EventRow,
  'id' | 'type' | 'prospect_id' | 'data' | 'actor_type' | 'actor_id' | 'is_test' | 'created_at'
>;
export const EVENT_COLUMNS = [
  'id',
  'type',
  'prospect_id',
  'data',
  'actor_type',
  'actor_id',
  'is_test',
  'created_at',
] as const;

export function toEvent({ actor_type, actor_id, created_at, ...row }: EventColumns): DomainEvent {
  return { ...row, actor: { type: actor_type, id: actor_id } as Actor, created_at: created_at.toISOString() };
}

/** Where an event comes from: the workspace it belongs to, who acted, and the clock that dates it. */
export interface EventSource {
  workspace: Pick<Workspace, 'id' | 'is_test'>;
  actor: Actor;
  clock: Clock;
}

/**
 * Appends a domain event to the outbox. Call it with the transaction that made the change, so the
 * event exists exactly when the change does; delivery (webhooks) reads the outbox afterwards.
 * `at` defaults to the clock's now; pass the instant the change was stamped with to keep them equal.
 */
export async function appendEvent<T extends EventType>(
  trx: Kysely<Database>,
  source: EventSource,
  type: T,
  data: EventMap[T],
  opts: { prospectId?: string | null; at?: Date } = {},
): Promise<DomainEvent> {
  const at = opts.at ?? source.clock.now();
  const row = await trx
    .insertInto('events')
    .values({
      workspace_id: source.workspace.id,
      id: newId('evt', at),
      type,
      prospect_id: opts.prospectId ?? null,
      data: JSON.stringify(data),
      actor_type: source.actor.type,
      actor_id: source.actor.id,
      is_test: source.workspace.is_test,
      created_at: at,
    })
    .returning(EVENT_COLUMNS)
    .executeTakeFirstOrThrow();
  return toEvent(row);
}
