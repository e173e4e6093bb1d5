import { writeSettingsSection } from '../tenancy/index.js';
import type { RequestContext, Workspace } from '../../kernel/context.js';
import { appendEvent } from '../../kernel/outbox.js';
import { transact } from '../../kernel/transact.js';
import type { OutreachSettings } from './settings.model.js';

/** Replaces the outreach settings (sender, caps, window, personalization); clearing `paused` resumes sending. */
export async function updateOutreachSettings(ctx: RequestContext, outreach: OutreachSettings): Promise<Workspace> {
  const now = ctx.clock.now();
  return transact(ctx.db, async (trx) => {
    const workspace = await writeSettingsSection(trx, ctx.workspace.id, 'outreach', outreach, 'replace', now);
    await appendEvent(trx, ctx, 'workspace.settings_updated', { section: 'outreach' }, { at: now });
    return workspace;
  }).finally(() => ctx.workspaceCache.forget(ctx.workspace.id));
}
