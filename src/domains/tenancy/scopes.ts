import type { Principal } from '../../kernel/context.js';

/** Every scope a key can carry. `*` grants all of them. */
export const SCOPES = {
  'workspaces:read': 'Read workspace configuration',
  'prospects:read': 'List and read prospects and their history',
  'prospects:write': 'Create and update prospects',
  'suppression:read': 'Check and list the suppression list',
  'suppression:write': 'Add addresses and domains to the suppression list',
  'kb:read': 'List knowledge bases and documents, and search them',
  'kb:write': 'Create, change and delete knowledge bases and their documents',
  'templates:read': 'List, read and render templates',
  'templates:write': 'Create, change and delete templates',
  'drafts:read': 'List and read drafts',
  'drafts:write': 'Create and edit drafts',
  'drafts:approve': 'Approve or reject drafts (approval sends)',
  'conversations:read': 'List and read conversations and their messages',
  'chat:read': 'The Orckai name of conversations:read: list and read conversations (chats included) and their messages',
  'chat:write': 'Chat with the model (completions and streams) and delete chat conversations',
  'replies:read': 'List replies and read their classification',
  'replies:write': 'Record inbound replies and correct their classification',
  'escalations:read': 'List and read escalations',
  'escalations:write': 'Escalate a conversation to a person, and assign escalations',
  'escalations:resolve': 'Resolve escalations (for people: give it to no agent key)',
  'bookings:read': 'List and read bookings',
  'bookings:write': 'Create, change and cancel bookings',
  'kpis:read': 'Read the workspace KPIs (get_kpis)',
  'webhooks:read': 'List webhook endpoints and read their delivery log',
  'webhooks:write': 'Create, change, test and delete webhook endpoints, rotate their secrets, redeliver events',
  'agents:read': 'List and read agents, their sessions and execution log',
  'agents:write': 'Create, change and delete agents',
  'agents:execute': "Message agents (sessions) and run them; their tools stay within the running key's scopes",
  admin: 'Manage workspaces and API keys; remove suppression entries',
} as const;

export type Scope = keyof typeof SCOPES;
export const ALL_SCOPES = Object.keys(SCOPES) as Scope[];

/**
 * Two names of one grant: `chat:read` (the third seed's name for reading conversations) is
 * `conversations:read`. Operations declare `conversations:read`; a key may carry either name.
 */
const GRANTED_BY: Partial<Record<Scope, Scope>> = {
  'conversations:read': 'chat:read',
  'chat:read': 'conversations:read',
};

export const hasScope = (p: Pick<Principal, 'scopes'>, scope: string): boolean =>
  p.scopes.includes('*') ||
  p.scopes.includes(scope) ||
  (GRANTED_BY[scope as Scope] !== undefined && p.scopes.includes(GRANTED_BY[scope as Scope]!));

export const canSeeWorkspace = (p: Principal, workspaceId: string): boolean =>
  p.allWorkspaces || p.workspaceIds.includes(workspaceId);
