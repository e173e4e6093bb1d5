import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AesGcmSecretBox, decodeSecretKey } from '../../../src/adapters/secrets/secret-box.js';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { caught } from '../../helpers/errors.js';
import { silentLog } from '../../helpers/app.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-secret-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('AesGcmSecretBox', () => {
  const key = randomBytes(32);

  it('seals and opens, bound to its context and its key', async () => {
    const box = new AesGcmSecretBox({ kind: 'configured', key: key.toString('base64') }, silentLog);
    const sealed = await box.seal('hunter2', 'inbound_mailboxes:ws_1:mbx_1');
    expect(sealed).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(sealed).not.toContain('hunter2');
    expect(await box.open(sealed, 'inbound_mailboxes:ws_1:mbx_1')).toBe('hunter2');
    // Moved to another row: does not open.
    expect((await caught(box.open(sealed, 'inbound_mailboxes:ws_2:mbx_1'))).code).toBe('internal');
    // Another key: named as such.
    const other = new AesGcmSecretBox({ kind: 'configured', key: randomBytes(32).toString('hex') }, silentLog);
    const err = await caught(other.open(sealed, 'inbound_mailboxes:ws_1:mbx_1'));
    expect(err.code).toBe('invalid_request');
    expect(err.message).toMatch(/another server key/);
  });

  it('generates a key file (0600) on first use and reads it back', async () => {
    const file = path.join(dir, 'data', 'secret.key');
    const a = new AesGcmSecretBox({ kind: 'file', path: file }, silentLog);
    const sealed = await a.seal('pw', 'ctx');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(decodeSecretKey(readFileSync(file, 'utf8'))).toHaveLength(32);
    const b = new AesGcmSecretBox({ kind: 'file', path: file }, silentLog);
    expect(await b.open(sealed, 'ctx')).toBe('pw');
  });

  it('without a key, says which setting is missing', async () => {
    const box = new AesGcmSecretBox({ kind: 'none', reason: 'set SWITCHBOARD_SECRET_KEY' }, silentLog);
    expect(box.available).toBe(false);
    const err = await caught(box.seal('pw', 'ctx'));
    expect(err).toMatchObject({ code: 'invalid_request', message: 'set SWITCHBOARD_SECRET_KEY' });
  });

  it('SWITCHBOARD_SECRET_KEY takes 32 bytes as hex or base64, and nothing else', () => {
    expect(loadConfig({ SWITCHBOARD_SECRET_KEY: key.toString('hex') }).secretKey).toBe(key.toString('hex'));
    expect(loadConfig({ SWITCHBOARD_SECRET_KEY: key.toString('base64url') }).secretKey).toBeDefined();
    for (const bad of ['short', randomBytes(16).toString('hex'), randomBytes(33).toString('base64')])
      expect(() => loadConfig({ SWITCHBOARD_SECRET_KEY: bad })).toThrow(ConfigError);
    expect(loadConfig({}).inbound.pollSeconds).toBe(60);
    expect(loadConfig({ SWITCHBOARD_IMAP_POLL_SECONDS: '30' }).inbound.pollSeconds).toBe(30);
  });
});
