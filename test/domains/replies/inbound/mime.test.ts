import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_RAW_EMAIL_BYTES, parseRawEmail } from '../../../../src/domains/replies/index.js';
import { caught } from '../../../helpers/errors.js';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/mail/${name}`, import.meta.url));

describe('parseRawEmail', () => {
  it('a Gmail reply: quoted-printable UTF-8, threading ids without brackets, oldest reference first', async () => {
    const e = await parseRawEmail(fixture('gmail-reply.eml'));
    expect(e).toMatchObject({
      messageId: 'CAJx9f3kQ+reply@mail.gmail.com',
      inReplyTo: 'drf_second.2@sender.example',
      references: ['drf_first.1@sender.example', 'drf_second.2@sender.example'],
      from: { address: 'ada.lovelace@gmail.com', name: 'Ada Lovelace' },
      to: ['sam@sender.example'],
      subject: 'Re: Quick question about your billing stack',
      contentType: 'multipart/alternative',
      attachmentCount: 0,
    });
    expect(e.receivedAt?.toISOString()).toBe('2026-12-01T17:13:52.000Z');
    expect(e.text).toMatch(/^Hi Sam,\n\nYes, this sounds interesting — could we talk on Thursday at 3pm\?/);
    expect(e.text).toContain('> We help teams like yours');
    expect(e.headers['in-reply-to']).toBe('<drf_second.2@sender.example>');
    // A folded header is unfolded; repeated ones would be joined.
    expect(e.headers.references).toBe('<drf_first.1@sender.example> <drf_second.2@sender.example>');
  });

  it('an Outlook reply in French: windows-1252 quoted-printable, encoded-word headers', async () => {
    const e = await parseRawEmail(fixture('outlook-fr.eml'));
    expect(e.from).toEqual({ address: 'jerome.dupre@entreprise.fr', name: 'Jérôme Dupré' });
    expect(e.subject).toBe('RE\u00a0: Proposition de démonstration');
    expect(e.text).toContain('C’est très intéressant, mais le budget de 5\u00a0000 € ne');
    expect(e.text).toContain('qu’en mars');
    expect(e.text).toContain('Envoyé : lundi 30 novembre 2026');
    expect(e.inReplyTo).toBe('drf_fr.1@sender.example');
  });

  it('HTML-only mail (ISO-8859-1) becomes readable text, without styles or scripts', async () => {
    const e = await parseRawEmail(fixture('html-only.eml'));
    expect(e.contentType).toBe('text/html');
    expect(e.text).toContain('How much does it cost for a team of 40? Is there a free trial?');
    expect(e.text).toContain('Café chat welcome.');
    expect(e.text).toMatch(/Security review\s+\S*\s*SSO/);
    expect(e.text).not.toMatch(/<p>|color: red|alert\(1\)/);
  });

  it('a base64 body in UTF-8', async () => {
    const e = await parseRawEmail(fixture('base64-body.eml'));
    expect(e.from.name).toBe('Élodie Martin');
    expect(e.subject).toBe('Re: Démo');
    expect(e.text).toContain('ça ne nous intéresse pas pour le moment. Désinscrivez-moi s’il vous plaît.');
  });

  it('attachments are counted, not kept', async () => {
    const e = await parseRawEmail(fixture('with-attachment.eml'));
    expect(e.attachmentCount).toBe(2);
    expect(e.text).toBe('Here is our security questionnaire, please fill it in.');
    expect(JSON.stringify(e)).not.toContain('PDF-1.4');
  });

  it('a DSN bounce keeps its type and its delivery status in the text', async () => {
    const e = await parseRawEmail(fixture('dsn-bounce.eml'));
    expect(e.contentType).toBe('multipart/report');
    expect(e.headers['auto-submitted']).toBe('auto-replied');
    expect(e.text).toContain('Status: 5.1.1');
    expect(e.text).toContain('Action: failed');
    // The returned headers name the email that bounced.
    expect(e.text).toMatch(/^Message-ID: <drf_bounce\.1@sender\.example>$/m);
  });

  it('refuses what is not a message, and what is too large', async () => {
    for (const body of [
      Buffer.from('{"from":"a@b.c","body":"hi"}'),
      Buffer.from('just some words\nwithout headers'),
      Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0a, 0x0d]),
      Buffer.from('Subject: no sender\r\n\r\nhello'),
      Buffer.alloc(0),
    ]) {
      const err = await caught(parseRawEmail(body));
      expect(err.code, body.toString('hex').slice(0, 20)).toBe('invalid_request');
    }
    const huge = Buffer.concat([Buffer.from('From: a@b.example\r\n\r\n'), Buffer.alloc(MAX_RAW_EMAIL_BYTES, 'a')]);
    expect((await caught(parseRawEmail(huge))).code).toBe('payload_too_large');
  });
});
