import type { Hono } from 'hono';
import { PRIORITIES } from '../../domains/escalations/index.js';
import { withoutMarkers } from '../../kernel/untrusted.js';
import { REPLY_LABELS } from '../../domains/replies/index.js';
import type { ConsoleEnv, Page } from './context.js';
import { wsQuery } from './context.js';
import { action, field, text } from './forms.js';
import { html } from './html.js';
import { emptyState, formContext, show, when } from './layout.js';

interface Classification {
  label: string;
  confidence: number;
  reason: string;
  hot: boolean;
  model: string;
  corrected_at: string | null;
}
interface Reply {
  id: string;
  conversation_id: string;
  prospect_id: string | null;
  from: string;
  subject: string | null;
  body: string;
  message_id: string | null;
  received_at: string;
  classification: Classification;
}
interface Escalation {
  id: string;
  conversation_id: string;
  priority: (typeof PRIORITIES)[number];
  reasons: string[];
  assignee: string | null;
  status: string;
  created_at: string;
}
interface Message {
  id: string;
  direction: 'inbound' | 'outbound';
  sender: string;
  recipient: string | null;
  subject: string | null;
  body: string;
  message_id: string | null;
  sent_at: string;
}

const PATH = '/console/inbox';
const preview = (s: string) => {
  const t = withoutMarkers(s);
  return t.length > 240 ? `${t.slice(0, 240)}…` : t;
};

const labelBadge = (c: Classification) =>
  html`<span class="badge label-${c.label}">${c.label.replace(/_/g, ' ')}</span>${c.hot ? html` <span class="badge hot">hot</span>` : ''}`;

function escalationRow(page: Page, e: Escalation, back: string) {
  return html`<li class="card escalation priority-${e.priority}">
  <p><span class="badge prio">${e.priority}</span> ${e.reasons.join('; ')} · opened ${when(e.created_at)}${e.assignee ? html` · assigned to <strong>${e.assignee}</strong>` : ''}</p>
  <div class="actions">
    ${page.can('conversations:read') ? html`<a href="${PATH}/conversations/${e.conversation_id}${wsQuery(page)}">Conversation</a>` : ''}
    ${
      page.can('escalations:write')
        ? html`<form method="post" action="${PATH}/escalations/${e.id}/assign">${formContext(page, back)}
      <label for="${e.id}-assignee">Assignee</label><input id="${e.id}-assignee" name="assignee" value="${e.assignee ?? ''}" maxlength="200">
      <button type="submit">Assign</button></form>`
        : ''
    }
    ${
      page.can('escalations:resolve')
        ? html`<form method="post" action="${PATH}/escalations/${e.id}/resolve">${formContext(page, back)}
      <label for="${e.id}-resolution">Resolution</label><input id="${e.id}-resolution" name="resolution" required maxlength="2000">
      <button type="submit" class="primary">Resolve</button></form>`
        : ''
    }
  </div>
</li>`;
}

function reclassifyForm(page: Page, r: Reply, back: string) {
  if (!page.can('replies:write')) return '';
  return html`<form method="post" action="${PATH}/replies/${r.id}/reclassify" class="inline">${formContext(page, back)}
  <label for="${r.id}-label">Label</label>
  <select id="${r.id}-label" name="label">${REPLY_LABELS.map(
    (l) =>
      html`<option value="${l}"${l === r.classification.label ? html` selected` : ''}>${l.replace(/_/g, ' ')}</option>`,
  )}</select>
  <label class="check"><input type="checkbox" name="hot" value="true"${r.classification.hot ? html` checked` : ''}> hot</label>
  <button type="submit">Reclassify</button>
</form>`;
}

export function mountInbox(ui: Hono<ConsoleEnv>): void {
  ui.get('/inbox', async (c) => {
    const page = c.get('page');
    const label = REPLY_LABELS.find((l) => l === c.req.query('label'));
    const hot = c.req.query('hot') === 'true' ? true : undefined;
    const back = `${PATH}${wsQuery(page, { label, hot: hot ? 'true' : undefined })}`;
    const { replies } = await page.call<{ replies: Reply[] }>('list_replies', {
      workspace_id: page.workspace?.id,
      label,
      hot,
      limit: 50,
    });
    const escalations = page.can('escalations:read')
      ? (
          await page.call<{ escalations: Escalation[] }>('list_escalations', {
            workspace_id: page.workspace?.id,
            status: 'open',
            limit: 100,
          })
        ).escalations.sort(
          (a, b) =>
            PRIORITIES.indexOf(b.priority) - PRIORITIES.indexOf(a.priority) || a.created_at.localeCompare(b.created_at),
        )
      : null;
    const body = html`
${
  escalations
    ? html`<section aria-labelledby="esc-h"><h2 id="esc-h">Open escalations</h2>${
        escalations.length
          ? html`<ul class="plain">${escalations.map((e) => escalationRow(page, e, back))}</ul>`
          : emptyState(
              'No conversation waits for a person.',
              'Agents escalate with escalate_to_human; hot replies can open one automatically.',
            )
      }</section>`
    : ''
}
<section aria-labelledby="rep-h"><h2 id="rep-h">Replies</h2>
<form method="get" class="filters">
  ${page.workspace ? html`<input type="hidden" name="ws" value="${page.workspace.slug}">` : ''}
  <label for="f-label">Label</label>
  <select id="f-label" name="label"><option value="">any</option>${REPLY_LABELS.map(
    (l) => html`<option value="${l}"${l === label ? html` selected` : ''}>${l.replace(/_/g, ' ')}</option>`,
  )}</select>
  <label class="check"><input type="checkbox" name="hot" value="true"${hot ? html` checked` : ''}> hot only</label>
  <button type="submit">Filter</button>
</form>
${
  replies.length
    ? html`<ul class="plain">${replies.map(
        (r) => html`<li class="card reply">
  <p>${labelBadge(r.classification)} <strong>${r.from}</strong> · ${when(r.received_at)}</p>
  <p class="subject">${r.subject ?? '(no subject)'}</p>
  <p class="reason">Why: ${r.classification.reason}</p>
  <blockquote class="untrusted">${preview(r.body)}</blockquote>
  <div class="actions">${page.can('conversations:read') ? html`<a href="${PATH}/conversations/${r.conversation_id}${wsQuery(page)}">Whole thread</a>` : ''}${reclassifyForm(page, r, back)}</div>
</li>`,
      )}</ul>`
    : emptyState(
        label || hot ? 'No reply matches these filters.' : 'No replies yet.',
        'Replies arrive through record_reply, the inbound mail hook or a polled IMAP mailbox (see the README, "Replies").',
      )
}
</section>`;
    return show(c, 'Inbox', PATH, body);
  });

  ui.get('/inbox/conversations/:id', async (c) => {
    const page = c.get('page');
    const id = c.req.param('id');
    const { conversation, messages } = await page.call<{
      conversation: { id: string; contact: string; subject: string | null; status: string; channel: string };
      messages: Message[];
    }>('get_conversation', { workspace_id: page.workspace?.id, conversation_id: id, limit: 100 });
    const replies = page.can('replies:read')
      ? (
          await page.call<{ replies: Reply[] }>('list_replies', {
            workspace_id: page.workspace?.id,
            conversation_id: id,
            limit: 100,
          })
        ).replies
      : [];
    // A reply is the inbound message with its Message-ID (or, recorded without one, its text).
    const byKey = new Map(replies.map((r) => [r.message_id ?? r.body, r]));
    const back = `${PATH}/conversations/${id}${wsQuery(page)}`;
    const body = html`<p class="meta">${conversation.channel} with <strong>${conversation.contact}</strong> · ${conversation.status}</p>
<ol class="thread">${messages.map((m) => {
      const reply = m.direction === 'inbound' ? byKey.get(m.message_id ?? m.body) : undefined;
      return html`<li class="card msg ${m.direction}">
  <p class="meta">${m.direction === 'inbound' ? 'From' : 'To'} ${m.direction === 'inbound' ? m.sender : (m.recipient ?? '')} · ${when(m.sent_at)}${reply ? html` · ${labelBadge(reply.classification)}` : ''}</p>
  ${m.subject ? html`<p class="subject">${m.subject}</p>` : ''}
  <pre class="body${m.direction === 'inbound' ? ' untrusted' : ''}">${withoutMarkers(m.body)}</pre>
  ${reply ? html`<p class="reason">Why: ${reply.classification.reason}</p>${reclassifyForm(page, reply, back)}` : ''}
</li>`;
    })}</ol>
<p><a href="${PATH}${wsQuery(page)}">Back to the inbox</a></p>`;
    return show(c, conversation.subject ?? 'Conversation', PATH, body);
  });

  action(ui, '/inbox/replies/:id/reclassify', PATH, async (page, form, c) => {
    const reply = await page.call<Reply>('reclassify_reply', {
      workspace_id: field(form, 'workspace_id'),
      reply_id: c.req.param('id'),
      label: field(form, 'label'),
      hot: field(form, 'hot') === 'true',
    });
    return `Reply reclassified as ${reply.classification.label.replace(/_/g, ' ')}.`;
  });
  action(ui, '/inbox/escalations/:id/assign', PATH, async (page, form, c) => {
    const assignee = text(form, 'assignee') ?? null;
    await page.call('assign_escalation', {
      workspace_id: field(form, 'workspace_id'),
      escalation_id: c.req.param('id'),
      assignee,
    });
    return assignee ? `Escalation assigned to ${assignee}.` : 'Escalation unassigned.';
  });
  action(ui, '/inbox/escalations/:id/resolve', PATH, async (page, form, c) => {
    await page.call('resolve_escalation', {
      workspace_id: field(form, 'workspace_id'),
      escalation_id: c.req.param('id'),
      resolution: text(form, 'resolution'),
    });
    return 'Escalation resolved.';
  });
}
