import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateKey } from '../../src/domains/tenancy/auth.js';
import { insertKey } from '../../src/domains/tenancy/keys.service.js';
import type { Workspace } from '../../src/kernel/context.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { REST_PREFIX, pathParams } from '../../src/transport/http/rest.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../helpers/app.js';

/**
 * Key management through REST, against escalation: a key may see, rotate or revoke only keys whose
 * every scope and every workspace it holds itself (the rule create_api_key applies). Otherwise an
 * `admin` key could rotate a `*` key with a grace period and walk away with its powers unnoticed.
 * Every operation that acts on a key_id is found in the catalog, so a new one is covered here too.
 */

let t: TestApp;
let server: RunningServer;
let org: string;
let main: Workspace;
let other: Workspace;
let owner: string;

const MISSING_KEY = 'key_doesnotexist';

async function rest(method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${REST_PREFIX}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
}

const keyId = async (secret: string) => (await authenticateKey(t.app.db, t.app.clock, secret))!.keyId;
/** The error as a client sees it, with the key id it names replaced, to compare with a missing key's. */
const shape = (error: { message: string }, id: string) => ({ ...error, message: error.message.replaceAll(id, '<id>') });
/** Everything about the organization's keys that an operation could change. */
const snapshot = () =>
  t.app.db
    .selectFrom('api_keys')
    .select(['id', 'secret_hash', 'scopes', 'all_workspaces', 'expires_at', 'revoked_at'])
    .orderBy('id')
    .execute();

/** Organization operations that act on one key, as REST routes (`/keys/{key_id}/...`). */
const keyOps = () =>
  t.app.registry.operations.filter(
    (c) => c.op.http && Object.keys((c.inputJsonSchema as { properties?: object }).properties ?? {}).includes('key_id'),
  );
/** Each of them at a key id, as its most damaging request: a rotation with a grace period leaves the victim's key working. */
const request = (c: ReturnType<typeof keyOps>[number], id: string) => ({
  method: c.op.http!.method,
  path: c.op.http!.path.replace('{key_id}', id),
  body: c.op.name === 'rotate_api_key' ? { grace_seconds: 3600 } : {},
});

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t.app);
  main = await addWorkspace(t.app, org, 'main');
  other = await addWorkspace(t.app, org, 'other');
  owner = await addKey(t.app, org, ['*'], 'all');
  server = await startHttpServer(t.app, { port: 0 });
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

describe('a key cannot act on a key more powerful than itself', () => {
  it('knows every key route: each acting on one key takes key_id in its path', () => {
    const names = keyOps().map((c) => c.op.name);
    expect(names).toEqual(expect.arrayContaining(['revoke_api_key', 'rotate_api_key']));
    for (const c of keyOps()) expect(pathParams(c.op.http!.path), c.op.name).toContain('key_id');
    const keyNamed = t.app.registry.operations.filter((c) => c.op.name.includes('api_key')).map((c) => c.op.name);
    expect(keyNamed.filter((n) => !names.includes(n)).sort(), 'a new key operation needs a case here').toEqual([
      'create_api_key',
      'list_api_keys',
    ]);
  });

  const callers = [
    { label: 'an admin-only key granted all workspaces', scopes: ['admin'], workspaces: () => 'all' as const },
    {
      label: 'an admin key with drafts scopes granted only main',
      scopes: ['admin', 'drafts:read', 'drafts:approve'],
      workspaces: () => [main],
    },
  ];
  const victims = [
    { label: 'a * key', scopes: ['*'], workspaces: () => 'all' as const },
    { label: 'a drafts:approve key', scopes: ['drafts:approve'], workspaces: () => [main] },
    {
      label: 'a key with a scope beyond the caller',
      scopes: ['drafts:read', 'prospects:write'],
      workspaces: () => [main],
    },
    { label: 'a key granted a workspace beyond the caller', scopes: ['drafts:read'], workspaces: () => [main, other] },
    { label: 'a key granted all workspaces', scopes: ['drafts:read'], workspaces: () => 'all' as const },
  ];
  for (const caller of callers) {
    for (const victim of victims) {
      // The first caller holds every workspace, so only scopes can stop it; the second holds the drafts scopes, so
      // only workspaces can stop it on keys with those scopes. Cases neither rule stops are not escalations.
      const holdsAll =
        victim.scopes.every((s) => caller.scopes.includes(s)) &&
        (caller.workspaces() === 'all' || (victim.workspaces() !== 'all' && victim.workspaces().length === 1));
      if (holdsAll) continue;
      it(`${caller.label} cannot see, rotate or revoke ${victim.label}: 404 like a missing key, nothing changes`, async () => {
        const attacker = await addKey(t.app, org, caller.scopes, caller.workspaces());
        const secret = await addKey(t.app, org, victim.scopes, victim.workspaces());
        const id = await keyId(secret);
        const before = await snapshot();
        for (const c of keyOps()) {
          const missingReq = request(c, MISSING_KEY);
          const missing = await rest(missingReq.method, missingReq.path, attacker, missingReq.body);
          expect(missing.status, c.op.name).toBe(404);
          const req = request(c, id);
          const res = await rest(req.method, req.path, attacker, req.body);
          expect(res.status, `${c.op.name}: ${res.text}`).toBe(404);
          expect(res.body.error).toMatchObject({ code: 'not_found', param: 'key_id' });
          expect(shape(res.body.error, id), c.op.name).toEqual(shape(missing.body.error, MISSING_KEY));
        }
        const listed = await rest('GET', '/keys', attacker);
        expect(listed.status).toBe(200);
        expect(listed.body.api_keys.map((k: { id: string }) => k.id)).not.toContain(id);
        expect(await snapshot()).toEqual(before);
        expect(await authenticateKey(t.app.db, t.app.clock, secret)).not.toBeNull();
      });
    }
  }

  it('lists exactly the keys a caller could have created, and never a secret', async () => {
    const caller = await addKey(t.app, org, ['admin', 'prospects:read'], [main]);
    const peer = await addKey(t.app, org, ['prospects:read'], [main]);
    const res = await rest('GET', '/keys', caller);
    const ids = res.body.api_keys.map((k: { id: string }) => k.id);
    expect(ids).toEqual(expect.arrayContaining([await keyId(caller), await keyId(peer)]));
    for (const k of res.body.api_keys) {
      expect(k).not.toHaveProperty('secret');
      expect(k.scopes.every((s: string) => ['admin', 'prospects:read'].includes(s))).toBe(true);
      expect(k.workspaces).toEqual([main.id]);
    }
    expect(res.text).not.toContain(caller);
    expect(res.text).not.toContain(peer);
  });

  it('a key holding every scope and workspace of a key rotates it', async () => {
    const caller = await addKey(t.app, org, ['admin', 'drafts:approve'], [main]);
    const victimId = await keyId(await addKey(t.app, org, ['drafts:approve'], [main]));
    const res = await rest('POST', `/keys/${victimId}/rotate`, caller, {});
    expect(res.status).toBe(201);
    expect(res.body.api_key).toMatchObject({ scopes: ['drafts:approve'], workspaces: [main.id] });
  });
});

describe('a key is rotated once', () => {
  it('two rotations sent at once leave one live successor; the loser is a conflict naming it', async () => {
    const { api_key } = await insertKey(t.app.db, org, t.app.clock.now(), {
      name: 'raced',
      scopes: ['prospects:read'],
      allWorkspaces: false,
      workspaceIds: [main.id],
      expiresAt: null,
    });
    const id = api_key.id;
    const [a, b] = await Promise.all([
      rest('POST', `/keys/${id}/rotate`, owner, { grace_seconds: 600 }),
      rest('POST', `/keys/${id}/rotate`, owner, { grace_seconds: 600 }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([201, 409]);
    const won = a.status === 201 ? a : b;
    const lost = a.status === 201 ? b : a;
    expect(lost.body.error.code).toBe('conflict');
    expect(lost.body.error.message).toContain('already rotated');
    expect(lost.body.error.message).toContain(won.body.api_key.id);
    const successors = await t.app.db
      .selectFrom('api_keys')
      .select('id')
      .where('name', '=', 'raced')
      .where('id', '!=', id)
      .execute();
    expect(successors.map((r) => r.id)).toEqual([won.body.api_key.id]);
    // A retry later answers the same conflict, so a client that lost the first answer learns the successor's id.
    const retry = await rest('POST', `/keys/${id}/rotate`, owner, { grace_seconds: 600 });
    expect(retry.status).toBe(409);
    expect(retry.body.error.message).toContain(won.body.api_key.id);
    const listed = (await rest('GET', '/keys', owner)).body.api_keys.find((k: { id: string }) => k.id === id);
    expect(listed.replaced_by).toBe(won.body.api_key.id);
  });

  it('rotation takes no idempotency key, since a stored result would keep the new secret', async () => {
    const id = await keyId(await addKey(t.app, org, ['prospects:read'], [main]));
    const before = await snapshot();
    const res = await rest('POST', `/keys/${id}/rotate`, owner, {}, { 'Idempotency-Key': 'rotate-once' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', param: 'idempotency_key' });
    expect(await snapshot()).toEqual(before);
    expect(
      await t.app.db.selectFrom('idempotency_keys').select('key').where('key', '=', 'rotate-once').execute(),
    ).toEqual([]);
  });
});
