import { escalationOperations } from '../../../src/domains/escalations/index.js';
import type { RequestContext } from '../../../src/kernel/context.js';

/** Sets the notification address through the operation's own handler. */
export async function updateEscalationSettingsForTest(ctx: RequestContext, notifyEmail: string): Promise<void> {
  const op = escalationOperations.find((o) => o.name === 'update_escalation_settings')!;
  await op.handler(ctx as never, { escalations: { notify_email: notifyEmail } } as never);
}
