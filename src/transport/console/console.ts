import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie } from 'hono/cookie';
import type { App } from '../../app.js';
import { AppError } from '../../kernel/errors.js';
import type { SecretBox } from '../../kernel/ports.js';
import { AesGcmSecretBox } from '../../adapters/secrets/secret-box.js';
import { toAppError, toHttp } from '../errors.js';
import { admit } from '../http/guards.js';
import type { HttpEnv } from '../http/env.js';
import { type ConsoleEnv, type Form, type Page, type WorkspaceChoice, makePage } from './context.js';
import { html } from './html.js';
import { NAV, bare } from './layout.js';
import { field, readForm } from './forms.js';
import { PRE_COOKIE, cookieOptions, endSession, newToken, openSession, startSession, tokensMatch } from './session.js';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import { mountApprovals } from './approvals.js';
import { mountInbox } from './inbox.js';
import { mountNumbers } from './numbers.js';
import { mountProspects } from './prospects.js';
import { mountSettings } from './settings.js';

export const CONSOLE_PATH = '/console';

// No inline script or style anywhere: the page's only code and style are the two files below.
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer a browser posts forms with `Origin: null`, which the Origin check refuses.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

function errorPage(c: Context, err: AppError, signedIn: boolean): Response {
  const { status } = toHttp(err);
  const body = bare(
    status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'Something went wrong',
    html`<p role="alert">${err.message}</p><p><a href="/console${signedIn ? '' : '/login'}">Back to the console</a></p>`,
  );
  return c.html(body.value, status as 400);
}

/**
 * The console: server-rendered pages over the same operation invoker as MCP and REST, so a page
 * can show and do exactly what its key's scopes and workspaces allow, and nothing else.
 */
export function createConsole(app: App): Hono<ConsoleEnv> {
  // Without a configured server key (PostgreSQL and no SWITCHBOARD_SECRET_KEY), sessions are sealed
  // with a key of this process: they end when it restarts and are not shared between nodes.
  const box: SecretBox = app.secrets.available ? app.secrets : new AesGcmSecretBox({ kind: 'ephemeral' }, app.log);
  const now = () => app.clock.now().getTime();
  const ui = new Hono<ConsoleEnv>();

  ui.use('*', async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (!c.res.headers.has(name)) c.header(name, value);
  });
  ui.onError((err, c) => errorPage(c, toAppError(err, c.get('log'), c.get('requestId')), true));

  ui.get('/assets/console.css', (c) => {
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(CONSOLE_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' });
  });
  ui.get('/assets/console.js', (c) => {
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(CONSOLE_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8' });
  });

  const limit = bodyLimit({
    maxSize: app.config.maxBodyBytes,
    onError: () => {
      throw new AppError('payload_too_large', `The form is larger than ${app.config.maxBodyBytes} bytes`);
    },
  });

  const signInPage = (c: Context, error?: string) => {
    const token = newToken();
    setCookie(c, PRE_COOKIE, token, { ...cookieOptions(c), maxAge: 3600 });
    return c.html(
      bare(
        'Sign in to Switchboard',
        html`${error ? html`<p class="flash flash-error" role="alert">${error}</p>` : ''}
<form method="post" action="/console/login" class="card login">
  <input type="hidden" name="_csrf" value="${token}">
  <label for="key">API key</label>
  <input id="key" name="key" type="password" autocomplete="current-password" required autofocus spellcheck="false" placeholder="sb_...">
  <p class="hint">The key <code>switchboard serve</code> printed on its first start, or one made with <code>switchboard keys create</code>. Its scopes decide what you can see and do here.</p>
  <button type="submit">Sign in</button>
</form>`,
      ).value,
      error ? 401 : 200,
    );
  };

  ui.get('/login', (c) => signInPage(c));
  ui.post('/login', limit, async (c) => {
    const form = await readForm(c);
    if (!tokensMatch(field(form, '_csrf'), getCookie(c, PRE_COOKIE)))
      return errorPage(c, new AppError('forbidden', 'The sign-in form expired; open it again'), false);
    const key = field(form, 'key')?.trim() ?? '';
    const principal = key ? await app.keyCache.authenticate(key) : null;
    if (!principal) return signInPage(c, 'That API key is invalid, revoked or expired.');
    await startSession(c, box, key, now());
    c.get('log').info({ keyId: principal.keyId }, 'console sign-in');
    return c.redirect(CONSOLE_PATH, 303);
  });

  // Everything below needs a session.
  ui.use('*', async (c, next) => {
    const session = await openSession(c, box, now());
    const principal = session ? await app.keyCache.authenticate(session.key) : null;
    if (!session || !principal) {
      if (session) endSession(c);
      if (c.req.method === 'GET') return c.redirect('/console/login', 303);
      return errorPage(c, new AppError('unauthorized', 'Your session ended; sign in again'), false);
    }
    c.set('log', c.get('log').child({ keyId: principal.keyId }));
    if (c.req.method === 'POST') {
      let form: Form | undefined;
      await limit(c, async () => {
        form = await readForm(c);
      });
      if (!tokensMatch(field(form!, '_csrf'), session.csrf))
        return errorPage(c, new AppError('forbidden', 'The form is missing its security token; reload the page'), true);
      c.set('form', form!);
    }
    const admitted = await admit(app, principal);
    try {
      const base = makePage(app, c as unknown as Context<HttpEnv>, principal, session);
      const workspaces = base.can('workspaces:read')
        ? (await base.call<{ workspaces: WorkspaceChoice[] }>('list_workspaces', {})).workspaces
        : [];
      const wanted = c.req.query('ws') ?? field(c.get('form') ?? {}, 'workspace_id');
      const workspace = workspaces.find((w) => w.slug === wanted || w.id === wanted) ?? workspaces[0];
      const page: Page = { ...base, workspaces, workspace };
      c.set('page', page);
      await next();
    } finally {
      admitted.release();
    }
  });

  ui.get('/', (c) => {
    const page = c.get('page');
    const first = NAV.find((n) => page.can(n.scope));
    if (first) return c.redirect(first.path, 303);
    return c.html(bare('Nothing to show', html`<p>This key has no scope the console uses.</p>`).value, 403);
  });
  ui.post('/logout', (c) => {
    endSession(c);
    return c.redirect('/console/login', 303);
  });

  mountApprovals(ui);
  mountInbox(ui);
  mountNumbers(ui);
  mountProspects(ui);
  mountSettings(ui);
  return ui;
}
