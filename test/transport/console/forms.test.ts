import { describe, expect, it } from 'vitest';
import { safeBack } from '../../../src/transport/console/forms.js';
import { html } from '../../../src/transport/console/html.js';

describe('console forms and markup', () => {
  it('sends the browser back only to a console path, never to another site', () => {
    expect(safeBack('/console/approvals?ws=sales', '/console')).toBe('/console/approvals?ws=sales');
    expect(safeBack('/console/inbox/conversations/cnv_1', '/console')).toBe('/console/inbox/conversations/cnv_1');
    for (const bad of [
      '//evil.example',
      'https://evil.example/console',
      '/console//evil.example',
      '/api/v1/keys',
      '/consolex',
      '/console/a b',
      '/console\\evil',
      undefined,
    ])
      expect(safeBack(bad, '/console/approvals')).toBe('/console/approvals');
  });

  it('escapes every interpolated value unless it is markup built by the template', () => {
    const untrusted = `<script>alert("x")</script>&'`;
    expect(html`<p title="${untrusted}">${untrusted}</p>`.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>',
    );
    expect(html`<ul>${['<a>', html`<li>${'<b>'}</li>`]}</ul>`.value).toBe('<ul>&lt;a&gt;<li>&lt;b&gt;</li></ul>');
    expect(html`${null}${undefined}${false}${0}`.value).toBe('0');
  });
});
