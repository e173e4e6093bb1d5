import type { Logger } from 'pino';
import type { Principal } from '../../kernel/context.js';

/** What the HTTP middleware sets on each request for the routes after it. */
export type HttpEnv = {
  Variables: {
    requestId: string;
    log: Logger;
    principal: Principal;
    /**
     * A route whose answer outlives its handler (a stream) takes over the request's in-flight
     * rate-limit slot and gets the function that gives it back, to call when the answer ends.
     */
    keepAdmission: () => () => void;
  };
};
