import { type Html, html } from './html.js';
import { type ConsoleContext, type Page, wsQuery } from './context.js';
import { takeFlash } from './session.js';

export interface NavItem {
  path: string;
  label: string;
  scope: string;
}

export const NAV: NavItem[] = [
  { path: '/console/approvals', label: 'Approvals', scope: 'drafts:read' },
  { path: '/console/inbox', label: 'Inbox', scope: 'replies:read' },
  { path: '/console/numbers', label: 'Numbers', scope: 'kpis:read' },
  { path: '/console/prospects', label: 'Prospects', scope: 'prospects:read' },
  { path: '/console/settings', label: 'Settings', scope: 'admin' },
];

const head = (title: string) => html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} · Switchboard</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head>`;

/** A hidden field every form carries: checked on every POST. */
export const csrfField = (page: Page) => html`<input type="hidden" name="_csrf" value="${page.session.csrf}">`;

/** The workspace a form acts on, and where to come back to after it. */
export const formContext = (page: Page, back: string) =>
  html`${csrfField(page)}<input type="hidden" name="_back" value="${back}">${
    page.workspace ? html`<input type="hidden" name="workspace_id" value="${page.workspace.id}">` : ''
  }`;

export function layout(
  page: Page,
  opts: { title: string; active: string; flash: { kind: 'ok' | 'error'; text: string } | null },
  body: Html,
): Html {
  const nav = NAV.filter((n) => page.can(n.scope));
  const picker =
    page.workspaces.length > 1
      ? html`<form method="get" class="ws-picker" data-autosubmit>
  <label for="ws">Workspace</label>
  <select id="ws" name="ws">${page.workspaces.map(
    (w) =>
      html`<option value="${w.slug}"${w.id === page.workspace?.id ? html` selected` : ''}>${w.name}${w.is_test ? ' (test)' : ''}</option>`,
  )}</select>
  <button type="submit">Switch</button>
</form>`
      : page.workspace
        ? html`<span class="ws-name">${page.workspace.name}${page.workspace.is_test ? ' (test)' : ''}</span>`
        : '';
  return html`${head(opts.title)}
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <span class="brand">Switchboard</span>
  <nav aria-label="Console"><ul>${nav.map(
    (n) =>
      html`<li><a href="${n.path}${wsQuery(page)}"${n.path === opts.active ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
  )}</ul></nav>
  ${picker}
  <form method="post" action="/console/logout" class="logout">${csrfField(page)}<button type="submit">Sign out ${page.principal.name}</button></form>
</header>
<main id="main" tabindex="-1">
<h1>${opts.title}</h1>
${opts.flash ? html`<p class="flash flash-${opts.flash.kind}" role="${opts.flash.kind === 'error' ? 'alert' : 'status'}">${opts.flash.text}</p>` : ''}
${body}
</main>
</body>
</html>`;
}

/** A page outside the session (sign-in, errors before sign-in). */
export function bare(title: string, body: Html): Html {
  return html`${head(title)}
<body class="bare">
<main id="main">
<h1>${title}</h1>
${body}
</main>
</body>
</html>`;
}

export const emptyState = (text: string, next?: Html | string) =>
  html`<div class="empty"><p>${text}</p>${next ? html`<p>${next}</p>` : ''}</div>`;

export const when = (iso: string | null | undefined) =>
  iso ? html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')}</time>` : '';

/** Answers with a console page, carrying the last action's message if there is one. */
export const show = (c: ConsoleContext, title: string, active: string, body: Html, status = 200) =>
  c.html(layout(c.get('page'), { title, active, flash: takeFlash(c) }, body).value, status as 200);
