import type { Logger } from 'pino';
import type { Principal } from '../../kernel/context.js';

/** What the HTTP middleware sets on each request for the routes after it. */
export type HttpEnv = { Variables: { requestId: string; log: Logger; principal: Principal } };
