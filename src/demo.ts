import type { RequestContext } from './kernel/context.js';
import { AppError } from './kernel/errors.js';
import {
  OutreachSettings,
  createDraft,
  listDrafts,
  outreachSettings,
  updateOutreachSettings,
} from './domains/outreach/index.js';
import { seedDemoData } from './domains/prospects/index.js';
import { createTemplate, getTemplate } from './domains/templates/index.js';

// The demo a newcomer meets in the console: fictional prospects, and a draft to each of them
// waiting for approval. It goes through the same services as the tools, so what it makes is
// exactly what an agent would have made.

const TEMPLATE = {
  key: 'demo-intro',
  name: 'Demo: first introduction',
  category: 'email',
  subject: 'A quick question for {{prospect.company}}',
  body:
    'Hi {{prospect.first_name}},\n\n' +
    'I noticed {{prospect.company}} is growing its team. Would a 15-minute call next week be useful ' +
    'to see whether {{workspace.name}} could save you time?\n\n' +
    'Best regards',
} as const;

/** What the demo sends from: a reserved example.com address, reachable by nobody (RFC 2606). */
const DEMO_SENDER = { email: 'demo@example.com', name: 'Switchboard demo' };

export interface DemoSeed {
  prospects: number;
  drafts: number;
}

/**
 * Seeds a workspace for a first look: the demo prospects, a template, and one pending draft for
 * each prospect that has no draft yet. In a test workspace without a sender it also sets a demo
 * sender and no gap between sends, so approved drafts go out (to the test sink) at once. Running it
 * twice adds nothing.
 */
export async function seedDemo(ctx: RequestContext): Promise<DemoSeed> {
  const prospectIds = await seedDemoData(ctx);
  await getTemplate(ctx, TEMPLATE.key).catch(async (err) => {
    if (!(err instanceof AppError && err.code === 'not_found')) throw err;
    await createTemplate(ctx, TEMPLATE);
  });
  const settings = outreachSettings(ctx.workspace);
  if (ctx.workspace.is_test && !settings.sender) {
    const workspace = await updateOutreachSettings(
      ctx,
      OutreachSettings.parse({ ...settings, sender: DEMO_SENDER, min_gap_seconds: 0 }),
    );
    ctx = { ...ctx, workspace };
  }
  let drafts = 0;
  for (const prospect_id of prospectIds) {
    const existing = await listDrafts(ctx, { prospect_id }, { limit: 1 });
    if (existing.items.length) continue;
    await createDraft(ctx, { prospect_id, template_key: TEMPLATE.key, variables: {} });
    drafts++;
  }
  return { prospects: prospectIds.length, drafts };
}
