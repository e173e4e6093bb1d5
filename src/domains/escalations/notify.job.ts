import type { Logger } from 'pino';
import type { Services } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import type { JobContext, JobDefinition, JobPayloads } from '../../kernel/ports.js';
import { outreachSettings } from '../outreach/index.js';
import { toWorkspace } from '../tenancy/index.js';
import { ESCALATION_COLUMNS, escalationSettings, toEscalation } from './escalations.model.js';

declare module '../../kernel/ports.js' {
  interface JobPayloads {
    /** `step` is how many times the conversation was escalated when this was enqueued: one email per step. */
    'escalations.notify': { workspace_id: string; escalation_id: string; step: number };
  }
}

/**
 * Tells the workspace's notification address that a conversation needs a person: a plain email
 * through the workspace's sender. It names the conversation and the reasons, never the reply text.
 */
async function notify(
  services: Services,
  log: Logger,
  data: JobPayloads['escalations.notify'],
  _job: JobContext,
): Promise<void> {
  const { db } = services;
  const wsRow = await db
    .selectFrom('workspaces')
    .select(['id', 'organization_id', 'name', 'slug', 'is_test', 'timezone', 'settings', 'created_at', 'updated_at'])
    .where('id', '=', data.workspace_id)
    .executeTakeFirst();
  if (!wsRow || wsRow.is_test) return;
  const workspace = toWorkspace(wsRow);
  const to = escalationSettings(workspace.settings).notify_email;
  const sender = outreachSettings(workspace).sender;
  const row = await db
    .selectFrom('escalations')
    .select(ESCALATION_COLUMNS)
    .where('workspace_id', '=', workspace.id)
    .where('id', '=', data.escalation_id)
    .executeTakeFirst();
  if (!to || !row || row.status !== 'open') return;
  if (!sender || !services.mail.live) {
    // Nothing to send with: retrying cannot help until an admin configures one.
    log.warn({ escalationId: row.id }, 'escalation notification not sent: no sender or mail provider configured');
    return;
  }
  const escalation = toEscalation(row);
  const lines = [
    `A conversation in workspace "${workspace.name}" needs a person.`,
    '',
    `Escalation: ${escalation.id}`,
    `Conversation: ${escalation.conversation_id}`,
    ...(escalation.prospect_id ? [`Prospect: ${escalation.prospect_id}`] : []),
    `Priority: ${escalation.priority}`,
    '',
    'Reasons:',
    ...escalation.reasons.map((r) => `- ${r.replace(/\s+/g, ' ')}`),
    '',
    'Read it with get_escalation, and close it with resolve_escalation.',
  ];
  try {
    await services.mail.live.send({
      from: { email: sender.email, ...(sender.name ? { name: sender.name } : {}) },
      to,
      subject: `[Switchboard] Escalation (${escalation.priority}): ${escalation.conversation_id}`,
      text: `${lines.join('\n')}\n`,
      headers: { 'X-Switchboard-Escalation': escalation.id },
      idempotencyKey: `escalation-${escalation.id}-${data.step}`,
    });
  } catch (err) {
    // A permanent refusal will not change on retry; anything else is retried by the queue.
    if (err instanceof AppError && err.details?.permanent === true) {
      log.warn({ escalationId: escalation.id, err: err.message }, 'escalation notification refused');
      return;
    }
    throw err;
  }
}

export const notifyJob: JobDefinition<'escalations.notify'> = { name: 'escalations.notify', run: notify };
