import { z } from 'zod';
import { defineOperation } from '../../operations/define.js';
import { idempotentWrite } from '../../operations/presets.js';
import { Workspace } from '../tenancy/index.js';
import { OutreachSettings } from './settings.model.js';
import { updateOutreachSettings as update } from './settings.service.js';

const updateOutreachSettings = defineOperation({
  name: 'update_outreach_settings',
  title: 'Update outreach settings',
  toolset: 'admin',
  scope: 'admin',
  mcp: false,
  description:
    'Set how a workspace sends email: sender, daily cap, minimum gap between sends, sending window (in the workspace time ' +
    'zone) and personalization. Replaces the whole outreach settings object; omitted fields take their defaults. Setting ' +
    'paused to null resumes a workspace that paused itself.',
  input: z.object({ outreach: OutreachSettings.describe('The outreach settings') }),
  output: z.object({ workspace: Workspace }),
  annotations: idempotentWrite,
  http: { method: 'PUT', path: '/workspaces/{workspace_id}/outreach' },
  handler: async (ctx, { outreach }) => ({ workspace: await update(ctx, outreach) }),
});

export const outreachSettingsOperations = [updateOutreachSettings];
