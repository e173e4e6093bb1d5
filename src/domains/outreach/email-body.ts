import type { OutgoingEmail } from '../../kernel/ports.js';
import type { OutreachSettings } from './settings.model.js';

// http(s) URLs up to whitespace or a closing bracket/quote; trailing punctuation is not part of them.
const URL_PATTERN = /https?:\/\/[^\s<>"')\]]+[^\s<>"')\].,;:!?]/g;

/** The links of a body, in order. A click redirect may lead only to one of these. */
export const extractLinks = (body: string): string[] => body.match(URL_PATTERN) ?? [];

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

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
  let index = 0;
  const html = escapeHtml(draft.body)
    .replace(URL_PATTERN, (url) => `<a href="${publicUrl}/t/c/${draft.token}/${index++}">${url}</a>`)
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
