import type { OutgoingEmail } from '../../kernel/ports.js';
import type { OutreachSettings } from './settings.model.js';

// http(s) URLs up to whitespace or a closing bracket/quote; trailing punctuation is not part of them.
const URL_PATTERN = /https?:\/\/[^\s<>"')\]]+[^\s<>"')\].,;:!?]/g;

/** A run of plain text, or the link numbered `index` (from 0, in order of appearance). */
export type BodyPart = { text: string } | { url: string; index: number };

/**
 * The approved body cut into text and numbered links. The HTML renderer numbers its tracked links
 * with this and the click redirect resolves a number with this, always on the raw body: numbering the
 * escaped HTML instead let `&`, `<` or quotes join or split URLs there, so link N could lead to
 * another URL of the body than the one shown as link N.
 */
export function parseBody(body: string): BodyPart[] {
  const parts: BodyPart[] = [];
  let at = 0;
  let index = 0;
  for (const m of body.matchAll(URL_PATTERN)) {
    if (m.index > at) parts.push({ text: body.slice(at, m.index) });
    parts.push({ url: m[0], index: index++ });
    at = m.index + m[0].length;
  }
  if (at < body.length) parts.push({ text: body.slice(at) });
  return parts;
}

/** The links of a body, numbered as in the sent HTML. A click redirect may lead only to one of these. */
export const extractLinks = (body: string): string[] => parseBody(body).flatMap((p) => ('url' in p ? [p.url] : []));

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const unsubscribeUrl = (publicUrl: string, token: string) => `${publicUrl}/u/${token}`;

/**
 * The email as sent: the approved text untouched, and an HTML twin whose links go through the
 * click redirect and which carries the open pixel. RFC 8058 one-click unsubscribe headers point
 * at Switchboard, which adds the address to the suppression list.
 */
export function renderEmail(
  publicUrl: string,
  sender: NonNullable<OutreachSettings['sender']>,
  draft: { id: string; to_email: string; subject: string; body: string; token: string },
): OutgoingEmail {
  const unsubscribe = unsubscribeUrl(publicUrl, draft.token);
  const html = parseBody(draft.body)
    .map((p) =>
      'url' in p
        ? `<a href="${escapeHtml(`${publicUrl}/t/c/${draft.token}/${p.index}`)}">${escapeHtml(p.url)}</a>`
        : escapeHtml(p.text),
    )
    .join('')
    .split(/\n{2,}/)
    .map((p) => `<p>${p.replace(/\n/g, '<br>')}</p>`)
    .join('\n');
  return {
    from: { email: sender.email, ...(sender.name ? { name: sender.name } : {}) },
    to: draft.to_email,
    ...(sender.reply_to ? { replyTo: sender.reply_to } : {}),
    subject: draft.subject,
    text: `${draft.body}\n\n--\nUnsubscribe: ${unsubscribe}\n`,
    html: `${html}\n<p style="font-size:12px;color:#888"><a href="${unsubscribe}">Unsubscribe</a></p>\n<img src="${publicUrl}/t/o/${draft.token}.gif" width="1" height="1" alt="">`,
    headers: {
      'List-Unsubscribe': `<${unsubscribe}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'X-Switchboard-Draft': draft.id,
    },
    idempotencyKey: `draft-${draft.id}`,
  };
}
