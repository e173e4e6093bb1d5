import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { SecretBox } from '../../kernel/ports.js';

/**
 * The console's session is a sealed cookie (AES-256-GCM with the server key, see
 * src/adapters/secrets/secret-box.ts): the API key it was opened with, a CSRF token and an expiry.
 * The browser holds only ciphertext, and the key is resolved again on every request, so revoking it
 * ends the session too. Nothing is stored server-side, so any node of a cluster accepts it.
 */
export const SESSION_COOKIE = 'sb_console';
/** Before sign-in: a random token the sign-in form echoes (login CSRF). */
export const PRE_COOKIE = 'sb_console_pre';
const FLASH_COOKIE = 'sb_console_flash';
const SEAL_CONTEXT = 'console-session';
export const SESSION_HOURS = 12;

export interface Session {
  /** The API key's secret. */
  key: string;
  csrf: string;
  expiresAt: number;
}

export const newToken = (): string => randomBytes(24).toString('base64url');

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/i;

/** Cookies are `Secure` everywhere but on loopback, where a browser reaches the server over plain http. */
export function cookieOptions(c: Context) {
  const host = c.req.header('host') ?? '';
  return {
    path: '/console',
    httpOnly: true,
    secure: !LOOPBACK.test(host),
    sameSite: 'Strict' as const,
  };
}

export async function openSession(c: Context, box: SecretBox, now: number): Promise<Session | null> {
  const sealed = getCookie(c, SESSION_COOKIE);
  if (!sealed) return null;
  try {
    const s = JSON.parse(await box.open(sealed, SEAL_CONTEXT)) as { k: string; c: string; e: number };
    if (typeof s.k !== 'string' || typeof s.c !== 'string' || typeof s.e !== 'number' || s.e <= now) return null;
    return { key: s.k, csrf: s.c, expiresAt: s.e };
  } catch {
    // Altered, or sealed with another server key: no session.
    return null;
  }
}

export async function startSession(c: Context, box: SecretBox, key: string, now: number): Promise<void> {
  const expiresAt = now + SESSION_HOURS * 3600_000;
  const sealed = await box.seal(JSON.stringify({ k: key, c: newToken(), e: expiresAt }), SEAL_CONTEXT);
  setCookie(c, SESSION_COOKIE, sealed, { ...cookieOptions(c), maxAge: SESSION_HOURS * 3600 });
  deleteCookie(c, PRE_COOKIE, cookieOptions(c));
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
}

/** Constant-time comparison of a submitted token with the expected one. */
export function tokensMatch(given: unknown, expected: string | undefined): boolean {
  if (typeof given !== 'string' || !expected) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A one-time message for the next page (POST-redirect-GET). */
export function setFlash(c: Context, kind: 'ok' | 'error', text: string): void {
  setCookie(c, FLASH_COOKIE, Buffer.from(JSON.stringify({ kind, text })).toString('base64url'), {
    ...cookieOptions(c),
    maxAge: 60,
  });
}

export function takeFlash(c: Context): { kind: 'ok' | 'error'; text: string } | null {
  const raw = getCookie(c, FLASH_COOKIE);
  if (!raw) return null;
  deleteCookie(c, FLASH_COOKIE, cookieOptions(c));
  try {
    const f = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { kind: string; text: string };
    return { kind: f.kind === 'ok' ? 'ok' : 'error', text: String(f.text).slice(0, 500) };
  } catch {
    return null;
  }
}
