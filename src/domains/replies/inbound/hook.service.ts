import type { Logger } from 'pino';
import { type RequestContext, type Services, systemActor } from '../../../kernel/context.js';
import { AppError } from '../../../kernel/errors.js';
import { workspaceForHookToken } from './hook-tokens.service.js';
import type { ReplyReceiver } from './inbound-email.js';
import { parseRawEmail } from './mime.js';

const HOOK = systemActor('inbound-hook');

/**
 * A raw email posted to a workspace's inbound hook: the token is the only credential, and every
 * token that is not live gets the same `not_found`. The body is parsed as RFC 5322, then stored
 * through the replies domain. Returns what `receive` returned (the stored reply).
 */
export async function receiveHookEmail<R>(
  services: Services,
  log: Logger,
  requestId: string,
  token: string,
  raw: Buffer,
  receive: ReplyReceiver<R>,
): Promise<R> {
  const workspace = await workspaceForHookToken(services, token);
  if (!workspace) throw new AppError('not_found', 'No inbound hook at this address');
  const email = await parseRawEmail(raw);
  const ctx: RequestContext = { ...services, workspace, log, requestId, actor: HOOK };
  return receive(ctx, email, 'hook');
}
