import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { EscalationTable } from '../../adapters/db/schema.js';
import type { Actor } from '../../kernel/context.js';
import { ActorOutput, Timestamp } from '../../operations/inputs.js';

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const ESCALATION_STATUSES = ['open', 'resolved'] as const;

export const Escalation = z.object({
  id: z.string().describe('Escalation id (esc_...)'),
  conversation_id: z.string(),
  prospect_id: z.string().nullable(),
  status: z.enum(ESCALATION_STATUSES),
  priority: z.enum(PRIORITIES),
  reasons: z.array(z.string()).describe('Why a person is needed, one entry per escalation of this conversation'),
  assignee: z.string().nullable().describe('Who is handling it (free text: a name or an address)'),
  resolution: z.string().nullable(),
  opened_by: ActorOutput,
  resolved_by: ActorOutput.nullable(),
  resolved_at: Timestamp.nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Escalation = z.infer<typeof Escalation>;

export const ESCALATION_COLUMNS = [
  'id',
  'conversation_id',
  'prospect_id',
  'status',
  'priority',
  'reasons',
  'assignee',
  'resolution',
  'opened_by_type',
  'opened_by_id',
  'resolved_by_type',
  'resolved_by_id',
  'resolved_at',
  'created_at',
  'updated_at',
] as const;
type Row = Pick<Selectable<EscalationTable>, (typeof ESCALATION_COLUMNS)[number]>;

export function toEscalation({
  opened_by_type,
  opened_by_id,
  resolved_by_type,
  resolved_by_id,
  ...row
}: Row): Escalation {
  return {
    ...row,
    opened_by: { type: opened_by_type, id: opened_by_id } as Actor,
    resolved_by: resolved_by_type && resolved_by_id ? ({ type: resolved_by_type, id: resolved_by_id } as Actor) : null,
    resolved_at: row.resolved_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** The higher of two priorities. */
export const higher = (a: Priority, b: Priority): Priority => (PRIORITIES.indexOf(a) >= PRIORITIES.indexOf(b) ? a : b);

/** One step up, `urgent` staying `urgent`: a conversation escalated again is more pressing. */
export const raised = (p: Priority): Priority =>
  PRIORITIES[Math.min(PRIORITIES.indexOf(p) + 1, PRIORITIES.length - 1)]!;

export const EscalationSettings = z
  .object({
    notify_email: z
      .email()
      .nullable()
      .default(null)
      .describe('Where a plain notification email goes when a conversation is escalated; null sends none'),
  })
  .strict();
export type EscalationSettings = z.infer<typeof EscalationSettings>;

export function escalationSettings(settings: Record<string, unknown>): EscalationSettings {
  const parsed = EscalationSettings.safeParse(settings.escalations ?? {});
  return parsed.success ? parsed.data : EscalationSettings.parse({});
}
