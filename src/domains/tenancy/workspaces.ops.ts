import { z } from 'zod';
import { Workspace } from './workspaces.model.js';
import * as workspaces from './workspaces.service.js';
import { readOnly, write } from '../../operations/presets.js';
import { defineOperation, defineOrgOperation } from '../../operations/define.js';

const getWorkspaceConfig = defineOperation({
  name: 'get_workspace_config',
  title: 'Get workspace configuration',
  toolset: 'workspaces',
  scope: 'workspaces:read',
  description:
    'Read the configuration of a workspace: name, slug, whether it is a test workspace (is_test: nothing is really sent), ' +
    'time zone and settings. Call this first to learn the rules the workspace works under. Fails with not_found for a ' +
    'workspace this key cannot reach.',
  input: z.object({}),
  output: z.object({ workspace: Workspace }),
  annotations: readOnly,
  http: { method: 'GET', path: '/workspaces/{workspace_id}' },
  handler: async (ctx) => ({ workspace: await workspaces.getWorkspaceConfig(ctx) }),
});

const listWorkspaces = defineOrgOperation({
  name: 'list_workspaces',
  title: 'List workspaces',
  toolset: 'workspaces',
  scope: 'workspaces:read',
  description:
    'List the workspaces this API key can reach, oldest first, with their ids and slugs. Use it to find the workspace_id ' +
    'other tools ask for when the key reaches more than one workspace.',
  input: z.object({}),
  output: z.object({ workspaces: z.array(Workspace) }),
  annotations: readOnly,
  http: { method: 'GET', path: '/workspaces' },
  handler: async (ctx) => ({ workspaces: await workspaces.listWorkspaces(ctx) }),
});

const createWorkspace = defineOrgOperation({
  name: 'create_workspace',
  errors: ['conflict'],
  title: 'Create workspace',
  toolset: 'admin',
  scope: 'admin',
  mcp: false,
  description:
    'Create a workspace in the organization. Needs the admin scope and a key granted all workspaces. Fails with conflict if the slug is taken.',
  input: z.object({
    name: z.string().trim().min(1).max(200).describe('Display name'),
    slug: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'lower-case letters, digits and dashes, at most 48')
      .optional()
      .describe('Unique short name; derived from the name when omitted'),
    is_test: z.boolean().optional().describe('A test workspace never sends real email (default false)'),
    timezone: z.string().max(64).optional().describe('IANA time zone, default UTC'),
  }),
  output: z.object({ workspace: Workspace }),
  annotations: write,
  http: { method: 'POST', path: '/workspaces', status: 201 },
  handler: async (ctx, input) => ({ workspace: await workspaces.createWorkspace(ctx, input) }),
});

export const workspaceOperations = [getWorkspaceConfig, listWorkspaces, createWorkspace];
