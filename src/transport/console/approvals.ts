import type { Hono } from 'hono';
import { inWindow, outreachSettings } from '../../domains/outreach/index.js';
import type { ConsoleEnv, Page } from './context.js';
import { wsQuery } from './context.js';
import { action, field, text } from './forms.js';
import { html } from './html.js';
import { emptyState, formContext, show, when } from './layout.js';

interface Draft {
  id: string;
  prospect_id: string;
  to_email: string;
  subject: string;
  body: string;
  status: string;
  provenance: Record<string, unknown>;
  attention: string | null;
  created_at: string;
}
interface Prospect {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  status: string;
}

const PATH = '/console/approvals';

const fullName = (p: Prospect | undefined) => (p ? [p.first_name, p.last_name].filter(Boolean).join(' ') : '');

/** Why a person should look twice: the domain's own signals (attention, suppression list, sending window). */
async function warningsOf(page: Page, draft: Draft, outside: string | null) {
  const warnings: string[] = [];
  if (draft.attention) warnings.push(draft.attention);
  if (page.can('suppression:read')) {
    const check = await page.call<{ suppressed: boolean }>('check_suppression', {
      workspace_id: page.workspace?.id,
      email: draft.to_email,
    });
    if (check.suppressed) warnings.push('The address is on the suppression list: it will not be sent');
  }
  if (outside) warnings.push(outside);
  return warnings;
}

function outsideWindow(page: Page): string | null {
  const ws = page.workspace;
  if (!ws) return null;
  const settings = outreachSettings(ws);
  if (settings.paused) return `Sending is paused: ${settings.paused.reason}`;
  if (inWindow(page.app.clock.now(), ws.timezone, settings.sending_window)) return null;
  const w = settings.sending_window!;
  return `Outside the sending window (${w.start}–${w.end} ${ws.timezone}): approved now, it is sent when the window opens`;
}

const provenance = (d: Draft) => {
  const p = d.provenance;
  const parts = [
    p.template_key ? `template ${String(p.template_key)}` : null,
    p.personalized ? `personalized by ${String(p.model ?? 'a model')}` : 'not personalized',
  ].filter(Boolean);
  return parts.join(' · ');
};

export function mountApprovals(ui: Hono<ConsoleEnv>): void {
  ui.get('/approvals', async (c) => {
    const page = c.get('page');
    const { drafts, has_more } = await page.call<{ drafts: Draft[]; has_more: boolean }>('list_drafts', {
      workspace_id: page.workspace?.id,
      status: 'pending_approval',
      limit: 50,
    });
    const canApprove = page.can('drafts:approve');
    const canEdit = page.can('drafts:write');
    const prospects = new Map<string, Prospect>();
    if (page.can('prospects:read'))
      for (const id of new Set(drafts.map((d) => d.prospect_id))) {
        const { prospect } = await page.call<{ prospect: Prospect }>('get_prospect', {
          workspace_id: page.workspace?.id,
          prospect_id: id,
        });
        prospects.set(id, prospect);
      }
    const outside = outsideWindow(page);
    const back = `${PATH}${wsQuery(page)}`;
    const cards = [];
    for (const d of drafts) {
      const prospect = prospects.get(d.prospect_id);
      const warnings = await warningsOf(page, d, outside);
      cards.push(html`<article class="card draft" id="${d.id}" aria-labelledby="${d.id}-subject">
  <header>
    ${canApprove ? html`<label class="pick"><input type="checkbox" name="draft_id" value="${d.id}" form="bulk"> <span class="sr">Select</span></label>` : ''}
    <div>
      <p class="meta">To <strong>${fullName(prospect) || d.to_email}</strong> &lt;${d.to_email}&gt;${prospect?.company ? html` · ${prospect.company}` : ''} · ${when(d.created_at)}</p>
      <h2 id="${d.id}-subject" class="subject">${d.subject}</h2>
      <p class="meta">${provenance(d)}</p>
    </div>
  </header>
  ${warnings.length ? html`<ul class="warnings" aria-label="Warnings">${warnings.map((w) => html`<li>${w}</li>`)}</ul>` : ''}
  <pre class="body">${d.body}</pre>
  <div class="actions">
    ${canApprove ? html`<form method="post" action="${PATH}/${d.id}/approve">${formContext(page, back)}<button type="submit" class="primary">Approve</button></form>` : ''}
    ${canEdit ? html`<a class="button" href="${PATH}/${d.id}/edit${wsQuery(page)}">Edit</a>` : ''}
    ${
      canApprove
        ? html`<form method="post" action="${PATH}/${d.id}/reject" class="reject">${formContext(page, back)}
      <label for="${d.id}-reason">Reason</label><input id="${d.id}-reason" name="reason" maxlength="1000" placeholder="optional">
      <button type="submit">Reject</button></form>`
        : ''
    }
    ${page.can('prospects:read') ? html`<a href="/console/prospects/${d.prospect_id}${wsQuery(page)}">Timeline</a>` : ''}
  </div>
</article>`);
    }
    const body = drafts.length
      ? html`${canApprove ? html`<form method="post" action="${PATH}/approve" id="bulk" class="bulk">${formContext(page, back)}<button type="submit" class="primary">Approve selected</button> <button type="button" data-select-all="draft_id" hidden>Select all</button></form>` : ''}
<p class="count">${drafts.length}${has_more ? '+' : ''} draft${drafts.length === 1 ? '' : 's'} awaiting approval, newest first.</p>
${cards}`
      : emptyState(
          'No drafts are waiting for approval.',
          'Drafts appear here when an agent calls create_draft (or POST /api/v1/drafts); approved drafts are sent by the background sender.',
        );
    return show(c, 'Approvals', PATH, body);
  });

  ui.get('/approvals/:id/edit', async (c) => {
    const page = c.get('page');
    const { draft } = await page.call<{ draft: Draft }>('get_draft', {
      workspace_id: page.workspace?.id,
      draft_id: c.req.param('id'),
    });
    const back = `${PATH}${wsQuery(page)}`;
    return show(
      c,
      'Edit draft',
      PATH,
      html`<form method="post" action="${PATH}/${draft.id}/edit" class="card stack">${formContext(page, back)}
  <p class="meta">To ${draft.to_email} · ${provenance(draft)}</p>
  <label for="subject">Subject</label><input id="subject" name="subject" value="${draft.subject}" required maxlength="998">
  <label for="body">Body</label><textarea id="body" name="body" rows="14" required>${draft.body}</textarea>
  <div class="actions"><button type="submit" class="primary">Save</button> <a href="${back}">Cancel</a></div>
</form>`,
    );
  });

  action(ui, '/approvals/:id/edit', PATH, async (page, form, c) => {
    await page.call('update_draft', {
      workspace_id: field(form, 'workspace_id'),
      draft_id: c.req.param('id'),
      subject: field(form, 'subject'),
      body: field(form, 'body'),
    });
    return 'Draft saved.';
  });
  action(ui, '/approvals/:id/approve', PATH, async (page, form, c) => {
    const { draft } = await page.call<{ draft: Draft }>('approve_draft', {
      workspace_id: field(form, 'workspace_id'),
      draft_id: c.req.param('id'),
    });
    return `Approved "${draft.subject}" to ${draft.to_email}: it is being sent.`;
  });
  action(ui, '/approvals/:id/reject', PATH, async (page, form, c) => {
    await page.call('reject_draft', {
      workspace_id: field(form, 'workspace_id'),
      draft_id: c.req.param('id'),
      reason: text(form, 'reason'),
    });
    return 'Draft rejected.';
  });
  // Each approval is its own call: one that fails (already approved, or edited away) does not stop the others.
  action(ui, '/approvals/approve', PATH, async (page, form) => {
    const ids = form.draft_id ?? [];
    if (!ids.length) return 'Select the drafts to approve first.';
    const failed: string[] = [];
    let approved = 0;
    for (const id of ids.slice(0, 100)) {
      try {
        await page.call('approve_draft', { workspace_id: field(form, 'workspace_id'), draft_id: id });
        approved++;
      } catch (err) {
        if ((err as { code?: string }).code === 'forbidden') throw err;
        failed.push(`${id}: ${(err as Error).message}`);
      }
    }
    return `Approved ${approved} draft${approved === 1 ? '' : 's'}.${failed.length ? ` Not approved: ${failed.join('; ')}` : ''}`;
  });
}
