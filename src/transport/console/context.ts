import type { Context } from 'hono';
import type { App } from '../../app.js';
import type { Principal } from '../../kernel/context.js';
import { hasScope } from '../../domains/tenancy/index.js';
import type { HttpEnv } from '../http/env.js';
import type { Session } from './session.js';

export interface WorkspaceChoice {
  id: string;
  slug: string;
  name: string;
  is_test: boolean;
  timezone: string;
  settings: Record<string, unknown>;
}

/** What a console page works with: the signed-in key, its workspaces and the one operation invoker. */
export interface Page {
  app: App;
  principal: Principal;
  session: Session;
  /** The key's workspaces (empty when it may not list them). */
  workspaces: WorkspaceChoice[];
  /** The workspace chosen with ?ws= (or the first), undefined when the key reaches none it can list. */
  workspace: WorkspaceChoice | undefined;
  can(scope: string): boolean;
  /** Runs an operation exactly as a tool call or REST request would: scope, input, tenancy, output. */
  call<T>(name: string, args: Record<string, unknown>): Promise<T>;
}

/** A posted form: each field's values, in order (checkboxes repeat a name). */
export type Form = Record<string, string[]>;

export type ConsoleEnv = { Variables: HttpEnv['Variables'] & { page: Page; form: Form } };
export type ConsoleContext = Context<ConsoleEnv>;

export function makePage(
  app: App,
  c: Context<HttpEnv>,
  principal: Principal,
  session: Session,
): Omit<Page, 'workspaces' | 'workspace'> {
  return {
    app,
    principal,
    session,
    can: (scope) => hasScope(principal, scope),
    call: async <T>(name: string, args: Record<string, unknown>) => {
      const compiled = app.registry.get(name);
      if (!compiled) throw new Error(`unknown operation ${name}`);
      const { output } = await app.registry.invoke(compiled, principal, args, {
        requestId: c.get('requestId'),
        log: c.get('log'),
      });
      return output as T;
    },
  };
}

/** `?ws=` for links that keep the chosen workspace. */
export const wsQuery = (page: Page, extra: Record<string, string | undefined> = {}): string => {
  const params = new URLSearchParams();
  if (page.workspace) params.set('ws', page.workspace.slug);
  for (const [k, v] of Object.entries(extra)) if (v) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : '';
};
