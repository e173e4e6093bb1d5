import type { Hono } from 'hono';
import type { HttpEnv } from './env.js';

/**
 * Switchboard authenticates with API keys only. OAuth-capable MCP clients (mcp-remote, the MCP
 * Inspector) answer a 401 by starting OAuth discovery and dynamic client registration; without these
 * routes they fail with "No route POST /register", which hides the real cause: a missing or wrong key.
 * Each step therefore fails with a message that names the key. Clients print the registration
 * endpoint's body verbatim, so /register carries the full explanation as an RFC 7591 error.
 */
export const NO_OAUTH =
  'Switchboard does not offer OAuth: send your API key as "Authorization: Bearer <key>" (or X-API-Key). ' +
  'A client that tries OAuth was answered 401: the key it sent is missing, invalid, revoked or expired. ' +
  'Check the key in its configuration, or create one with `switchboard keys create` or `switchboard mcp-json --create-key`.';

const metadataNotFound = { error: { code: 'not_found', message: NO_OAUTH, type: 'invalid_request_error' } };

// RFC 9728 and RFC 8414 documents, at the root and suffixed with the resource path (/mcp) as clients probe both.
const DISCOVERY = [
  '/.well-known/oauth-protected-resource',
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
];

export function mountOAuthRefusal(hono: Hono<HttpEnv>): void {
  for (const base of DISCOVERY) {
    hono.get(base, (c) => c.json(metadataNotFound, 404));
    hono.get(`${base}/*`, (c) => c.json(metadataNotFound, 404));
  }
  hono.post('/register', (c) => c.json({ error: 'invalid_client_metadata', error_description: NO_OAUTH }, 400));
}
