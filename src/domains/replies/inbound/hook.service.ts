import type { Logger } from 'pino';
import { type RequestContext, type Services, systemActor } from '../../../kernel/context.js';
import { AppError } from '../../../kernel/errors.js';
import { workspaceForHookToken } from './hook-tokens.service.js';
import { receiveReply } from '../replies.service.js';
import { parseRawEmail } from './mime.js';

const HOOK = systemActor('inbound-hook');

/**
 * A raw email posted to a workspace's inbound hook: the token is the only credential, and every
 * token that is not live gets the same `not_found`. The body is parsed as RFC 5322, then stored
 * through the replies domain. Returns the reply, and `created: false` when its Message-ID was already stored.
 */
export async function receiveHookEmail(
  services: Services,
  log: Logger,
  requestId: string,
  token: string,
  raw: Buffer,
): ReturnType<typeof receiveReply> {
  const workspace = await workspaceForHookToken(services, token);
  if (!workspace) throw new AppError('not_found', 'No inbound hook at this address');
  const email = await parseRawEmail(raw);
  const ctx: RequestContext = { ...services, workspace, log, requestId, actor: HOOK };
  return receiveReply(ctx, email, 'hook');
}
