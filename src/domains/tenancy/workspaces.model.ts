import { z } from 'zod';
import { Timestamp } from '../../operations/inputs.js';

/** A workspace as tools return it. */
export const Workspace = z.object({
  id: z.string().describe('Workspace id (ws_...)'),
  organization_id: z.string(),
  name: z.string(),
  slug: z.string().describe('Short unique name, usable wherever a workspace_id is asked for'),
  is_test: z.boolean().describe('Test workspaces never contact real people: email goes to a sink'),
  timezone: z.string().describe('IANA time zone used for sending windows and daily caps'),
  settings: z.record(z.string(), z.unknown()).describe('Workspace settings (sender, caps, tone) as configured'),
  created_at: Timestamp,
  updated_at: Timestamp,
});
