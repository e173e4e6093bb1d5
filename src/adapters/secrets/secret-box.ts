import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { AppError } from '../../kernel/errors.js';
import type { SecretBox } from '../../kernel/ports.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const VERSION = 'v1';

/** A 32-byte key written as 64 hex digits or as base64 (standard or URL-safe, padded or not); undefined otherwise. */
export function decodeSecretKey(text: string): Buffer | undefined {
  const s = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(s)) {
    const key = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === KEY_BYTES) return key;
  }
  return undefined;
}

/** Where the server key comes from: the environment, a file in the PGlite data directory, memory (memory:// databases) or nowhere. */
export type KeySource =
  | { kind: 'configured'; key: string }
  | { kind: 'file'; path: string }
  | { kind: 'ephemeral' }
  | { kind: 'none'; reason: string };

// The key's id travels with every sealed value, so a value sealed with another key is named as such, not as corrupt.
const keyId = (key: Buffer) =>
  createHash('sha256').update('switchboard-secret-key-id').update(key).digest('hex').slice(0, 8);

/** Reads the key file, or creates it (0600, exclusively: two starts never write two keys). */
async function keyFromFile(file: string, log: Logger): Promise<Buffer> {
  try {
    const key = decodeSecretKey(await readFile(file, 'utf8'));
    if (!key) throw new AppError('internal', `The server key file ${file} does not hold a 32-byte key`);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const key = randomBytes(KEY_BYTES);
  try {
    await writeFile(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(file, 0o600);
    log.info({ file }, 'generated a server key for stored credentials; back it up with the data directory');
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return keyFromFile(file, log);
    throw err;
  }
}

/**
 * AES-256-GCM with the server key. A sealed value is `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url),
 * and `context` (e.g. the row it belongs to) is authenticated with it, so a sealed value copied into
 * another row does not open. The key is loaded on first use: servers that store no secret never
 * create a key file.
 */
export class AesGcmSecretBox implements SecretBox {
  private key: Promise<Buffer> | undefined;

  constructor(
    private readonly source: KeySource,
    private readonly log: Logger,
  ) {}

  get available(): boolean {
    return this.source.kind !== 'none';
  }

  private load(): Promise<Buffer> {
    const source = this.source;
    if (source.kind === 'none') return Promise.reject(new AppError('invalid_request', source.reason));
    this.key ??= (async () => {
      if (source.kind === 'configured') return decodeSecretKey(source.key)!;
      if (source.kind === 'ephemeral') return randomBytes(KEY_BYTES);
      return keyFromFile(source.path, this.log);
    })();
    this.key.catch(() => (this.key = undefined));
    return this.key;
  }

  async seal(plaintext: string, context: string): Promise<string> {
    const key = await this.load();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      keyId(key),
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      ct.toString('base64url'),
    ].join('.');
  }

  async open(sealed: string, context: string): Promise<string> {
    const key = await this.load();
    const [version, kid, iv, tag, ct] = sealed.split('.');
    if (version !== VERSION || !kid || !iv || !tag || ct === undefined)
      throw new AppError('internal', 'A stored secret is not in a known format');
    if (kid !== keyId(key))
      throw new AppError(
        'invalid_request',
        `A stored secret was sealed with another server key (id ${kid}, this server's is ${keyId(key)}): restore that SWITCHBOARD_SECRET_KEY, or set the secret again`,
      );
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new AppError('internal', 'A stored secret does not open with the server key: it was altered or moved');
    }
  }
}
