import type { z } from 'zod';
import type { Scope } from '../domains/tenancy/scopes.js';
import type { OrgContext, RequestContext } from '../kernel/context.js';
import type { ErrorCode } from '../kernel/errors.js';

export const TOOLSETS = {
  workspaces: 'Workspace configuration',
  prospects: 'Prospects: list, read, upsert, history',
  suppression: 'The do-not-contact list',
  knowledge: 'Knowledge bases: documents and search',
  templates: 'Message and prompt templates with {{variable}} placeholders',
  drafts: 'Email drafts: create, review, approve (sending follows approval)',
  conversations: 'Conversations and replies: inbound mail, its classification, the threads',
  chat: 'Chat with the model over a stored conversation (completions; streams over REST)',
  escalations: 'Hand a conversation to a person, and the inbox of those waiting',
  bookings: 'Table bookings: take, change, cancel and list them',
  kpis: 'Outreach numbers: sent, opened, replied, rates and a daily series',
  webhooks: 'Signed webhooks: endpoints that receive workspace events, and their delivery log',
  agents: 'Conversational agents: configure them, message them in sessions, run them, read their executions',
  admin: 'Workspaces and API keys (REST only)',
} as const;
type Toolset = keyof typeof TOOLSETS;

export interface Annotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface HttpRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI-style path under /api/v1, e.g. `/prospects/{prospect_id}`. */
  path: string;
  /** Status of a success: 200 by default; `created` answers 201 when the output says `created: true`. */
  status?: 200 | 201 | 'created';
  /**
   * Also accept `multipart/form-data` with the file in field `file`, passed to the operation as
   * `content_base64`, `name` and `content_type`; bodies up to MAX_UPLOAD_BYTES.
   */
  upload?: boolean;
}

type AnyObject = z.ZodObject<z.ZodRawShape>;

interface OperationBase<I extends AnyObject, O extends AnyObject> {
  name: string;
  title: string;
  /** Written for a model: when to use it, what it returns, what fails. */
  description: string;
  toolset: Toolset;
  /** The scope a key needs; `Scope` makes a misspelt scope a compile error. */
  scope: Scope;
  input: I;
  output: O;
  annotations: Annotations;
  http?: HttpRoute;
  /**
   * Errors this operation gives beyond those every operation can (`invalid_request`, `unauthorized`,
   * `forbidden`, `not_found`, and `conflict` for a reused idempotency key): documented in OpenAPI.
   */
  errors?: readonly ErrorCode[];
  /** `false` keeps an operation off MCP: administrative acts an agent should not perform. */
  mcp?: boolean;
  /**
   * Whether a write accepts an idempotency key (default: every write). Off where the result holds a
   * secret, since a stored result would keep the plaintext that is otherwise never stored.
   */
  idempotency?: boolean;
}

/**
 * An operation on one workspace's data. Its `input` leaves out `workspace_id`: the catalog adds it to
 * the published schema, and the invoker resolves it into `ctx.workspace` and strips it before the handler.
 */
export interface WorkspaceOperation<I extends AnyObject = AnyObject, O extends AnyObject = AnyObject>
  extends OperationBase<I, O> {
  tenancy: 'workspace';
  handler: (ctx: RequestContext, input: z.output<I>) => Promise<z.input<O>>;
}

/** An operation on the organization itself (workspaces, keys). */
export interface OrgOperation<I extends AnyObject = AnyObject, O extends AnyObject = AnyObject>
  extends OperationBase<I, O> {
  tenancy: 'organization';
  handler: (ctx: OrgContext, input: z.output<I>) => Promise<z.input<O>>;
}

// biome-ignore lint/suspicious/noExplicitAny: a list of operations with different schemas; each was checked by defineOperation
export type Operation = WorkspaceOperation<any, any> | OrgOperation<any, any>;

export const defineOperation = <I extends AnyObject, O extends AnyObject>(
  op: Omit<WorkspaceOperation<I, O>, 'tenancy'>,
): WorkspaceOperation<I, O> => ({
  ...op,
  tenancy: 'workspace',
});

export const defineOrgOperation = <I extends AnyObject, O extends AnyObject>(
  op: Omit<OrgOperation<I, O>, 'tenancy'>,
): OrgOperation<I, O> => ({
  ...op,
  tenancy: 'organization',
});
