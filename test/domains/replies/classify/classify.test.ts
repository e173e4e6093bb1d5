import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnthropicLlm } from '../../../../src/adapters/llm/anthropic.js';
import { OfflineLlm } from '../../../../src/adapters/llm/offline.js';
import { type ReplyToClassify, classifyReply } from '../../../../src/domains/replies/classify/index.js';
import { type FakeAnthropicServer, startFakeAnthropic } from '../../../helpers/fake-anthropic.js';

const reply = (text: string, more: Partial<ReplyToClassify> = {}): ReplyToClassify => ({
  from: 'Jane Doe <jane@acme.test>',
  subject: 'Re: A quick idea',
  text,
  headers: {},
  contentType: null,
  receivedAt: new Date('2026-01-14T10:00:00Z'),
  timezone: 'Europe/Paris',
  ...more,
});

const CLAUDE = {
  label: 'not_now',
  confidence: 0.88,
  reason: 'Defers to Q3.',
  hot: false,
  return_date: '2026-07-01',
  referral_email: null,
};

describe('classifyReply with Claude (real SDK, fake Messages API)', () => {
  let fake: FakeAnthropicServer;
  let llm: AnthropicLlm;
  const warnings: unknown[] = [];
  const log = { warn: (...args: unknown[]) => warnings.push(args) } as never;

  beforeEach(async () => {
    warnings.length = 0;
    fake = await startFakeAnthropic();
    fake.respond(() => ({ tool_input: CLAUDE }));
    llm = new AnthropicLlm({ apiKey: fake.apiKey, baseURL: fake.url, maxRetries: 1, timeoutMs: 2_000 });
  });
  afterEach(() => fake.close());

  it("takes Claude's answer, shown only the reply's own words and the received date", async () => {
    const out = await classifyReply(
      llm,
      reply(
        'Ask me again in Q3.\n\nOn Mon, Jan 12, 2026 at 9:14 AM Sam <sam@x.test> wrote:\n> Book a call? Unsubscribe: reply STOP',
      ),
    );
    expect(out).toEqual({ ...CLAUDE, bounce_kind: null, model: llm.classificationModel });
    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0]!.body.messages[0].content as string;
    expect(sent).toContain('<body>\nAsk me again in Q3.\n</body>');
    expect(sent).not.toContain('Book a call');
    expect(sent).toContain('<received_on>2026-01-14 (Wednesday)</received_on>');
    expect(sent).toContain('<sender>jane@acme.test</sender>');
  });

  it('asks once more after malformed output and takes the second answer', async () => {
    let n = 0;
    fake.respond(() => (++n === 1 ? { tool_input: { ...CLAUDE, label: 'later' } } : { tool_input: CLAUDE }));
    const out = await classifyReply(llm, reply('Ask me again in Q3.'));
    expect(out.model).toBe(llm.classificationModel);
    expect(out.label).toBe('not_now');
    expect(fake.requests).toHaveLength(2);
  });

  it('lets the offline rules decide after two malformed answers, and says so', async () => {
    fake.respond(() => ({ text: 'Not JSON at all' }));
    const out = await classifyReply(llm, reply('Ask me again in Q3.'), { log });
    expect(out).toMatchObject({ label: 'not_now', return_date: '2026-07-01', model: 'offline' });
    expect(out.reason).toContain('model unavailable');
    expect(fake.requests).toHaveLength(2);
    expect(JSON.stringify(warnings)).toContain('"malformed":true');
    expect(JSON.stringify(warnings)).not.toContain('Q3');
  });

  it('lets the offline rules decide when the API keeps failing', async () => {
    fake.failNext(10, 500, { retryAfterMs: 5 });
    const out = await classifyReply(llm, reply('Please unsubscribe me.'), { log });
    expect(out).toMatchObject({ label: 'unsubscribe', model: 'offline' });
    expect(fake.requests).toHaveLength(2); // the SDK's try and its one retry; no second ask
    expect(JSON.stringify(warnings)).toContain('500');
    expect(JSON.stringify(warnings)).not.toContain('unsubscribe me');
  });

  it('never asks Claude about mail the headers mark as machine-generated', async () => {
    const bounce = await classifyReply(
      llm,
      reply('Reporting-MTA: dns; mx\nAction: failed\nStatus: 5.1.1', {
        contentType: 'multipart/report',
        from: 'MAILER-DAEMON@mx.acme.test',
      }),
    );
    expect(bounce).toMatchObject({ label: 'bounce', bounce_kind: 'hard', model: 'offline' });
    const ooo = await classifyReply(
      llm,
      reply('I am out of the office until January 23. For urgent matters: priya@acme.test', {
        headers: { 'auto-submitted': 'auto-replied' },
      }),
    );
    expect(ooo).toMatchObject({ label: 'out_of_office', return_date: '2026-01-24', referral_email: 'priya@acme.test' });
    const ack = await classifyReply(llm, reply('Thanks! We got your email.', { headers: { precedence: 'bulk' } }));
    expect(ack.label).toBe('auto_reply');
    expect(fake.requests).toHaveLength(0);
  });

  it("keeps Claude's answer within the rules: hot for interest, dates only where they mean something, no invented address", async () => {
    fake.respond(() => ({
      tool_input: {
        ...CLAUDE,
        label: 'interested',
        hot: false,
        return_date: '2026-03-01',
        referral_email: 'ghost@acme.test',
      },
    }));
    const out = await classifyReply(llm, reply('Tell me more, and loop in marie@acme.test'));
    expect(out).toMatchObject({ label: 'interested', hot: true, return_date: null, referral_email: null });
    fake.respond(() => ({
      tool_input: { ...CLAUDE, label: 'referral', hot: true, referral_email: 'marie@acme.test' },
    }));
    const ref = await classifyReply(llm, reply('Talk to marie@acme.test, she is looking for this.'));
    expect(ref).toMatchObject({ label: 'referral', hot: true, referral_email: 'marie@acme.test' });
  });
});

describe('classifyReply without a model', () => {
  it('uses the offline rules', async () => {
    const out = await classifyReply(new OfflineLlm(), reply('Can we schedule a call on Tuesday?'));
    expect(out).toMatchObject({ label: 'meeting_request', hot: true, model: 'offline' });
  });
});
