import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { App } from '../../app.js';
import { AppError } from '../../kernel/errors.js';
import { applyDeliveryReport, recordClick, recordOpen, unsubscribe } from '../../domains/outreach/index.js';
import { toDeliveryReport, verifyResendWebhook } from '../../adapters/mail/resend-webhook.js';
import { MAX_RAW_EMAIL_BYTES, receiveHookEmail } from '../../domains/replies/index.js';
import type { HttpEnv } from './env.js';

// The smallest transparent GIF.
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head>` +
  `<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem">${body}</body></html>`;

/**
 * The links inside sent emails: one-click unsubscribe (RFC 8058), the open pixel and click
 * redirects. They are reached by mail clients and people, without an API key.
 */
export function mountTracking(hono: Hono<HttpEnv>, app: App): void {
  hono.get('/u/:token', (c) =>
    c.html(
      page(
        'Unsubscribe',
        `<h1>Unsubscribe</h1><p>Stop receiving these emails?</p><form method="post"><button type="submit" name="List-Unsubscribe" value="One-Click">Unsubscribe</button></form>`,
      ),
    ),
  );
  hono.post('/u/:token', async (c) => {
    await unsubscribe(app, c.get('log'), c.req.param('token'));
    return c.html(page('Unsubscribed', '<h1>Unsubscribed</h1><p>You will not receive these emails any more.</p>'));
  });
  hono.get('/t/o/:file', async (c) => {
    // A pixel always answers with the image: a mail client shows nothing either way.
    await recordOpen(app, c.req.param('file').replace(/\.gif$/, '')).catch(() => {});
    return c.body(PIXEL, 200, { 'content-type': 'image/gif', 'cache-control': 'no-store' });
  });
  hono.get('/t/c/:token/:index{[0-9]+}', async (c) =>
    c.redirect(await recordClick(app, c.req.param('token'), Number(c.req.param('index'))), 302),
  );
}

/** Resend's delivery webhooks (Svix-signed): the raw body is verified before anything is parsed. */
export function mountResendHook(hono: Hono<HttpEnv>, app: App): void {
  const limit = bodyLimit({
    maxSize: 256 * 1024,
    onError: () => {
      throw new AppError('payload_too_large', 'A webhook body larger than 256 KB is not a Resend event');
    },
  });
  hono.post('/hooks/resend', limit, async (c) => {
    const secret = app.config.mail.resendWebhookSecret;
    if (!secret) throw new AppError('not_found', 'Resend webhooks are not configured: set RESEND_WEBHOOK_SECRET');
    const event = verifyResendWebhook(await c.req.text(), c.req.raw.headers, secret, app.clock.now());
    const report = toDeliveryReport(event);
    return c.json({
      received: true,
      result: report ? await applyDeliveryReport(app, c.get('log'), report) : 'ignored',
    });
  });
}

/**
 * Inbound mail as raw RFC 5322 bytes (`message/rfc822`, `application/octet-stream`, `text/plain`, or
 * any type: the body is read as bytes), posted by an inbound-mail provider or a Cloudflare Email
 * Worker to the workspace's secret address. Answers 201 with `{ reply, created: true }`; the same
 * Message-ID posted again answers 200 with the reply stored the first time and `created: false`. Any token that is not
 * live answers the same 404.
 */
export function mountInboundHook(hono: Hono<HttpEnv>, app: App): void {
  const limit = bodyLimit({
    maxSize: MAX_RAW_EMAIL_BYTES,
    onError: () => {
      throw new AppError(
        'payload_too_large',
        `An email larger than ${MAX_RAW_EMAIL_BYTES / 1024 / 1024} MB is not accepted`,
      );
    },
  });
  hono.post('/hooks/inbound/:token', limit, async (c) => {
    const raw = Buffer.from(await c.req.arrayBuffer());
    const { reply, created } = await receiveHookEmail(app, c.get('log'), c.get('requestId'), c.req.param('token'), raw);
    return c.json({ reply, created }, created ? 201 : 200);
  });
}
