import { describe, expect, it } from 'vitest';
import { OfflineLlm } from '../../../src/adapters/llm/offline.js';

const llm = new OfflineLlm();

describe('OfflineLlm', () => {
  it('has no model to classify replies with: the replies domain classifies them by its own rules', () => {
    expect(llm.kind).toBe('offline');
    expect('classifyReply' in llm).toBe(false);
  });
});

describe('OfflineLlm.rewriteDraft', () => {
  const req = {
    subject: 'A quick idea for Acme',
    body: 'Hi Jane,\n\nShort note.\n\nSam',
    facts: { first_name: 'Jane', company: 'Acme' },
    tone: 'warm',
    maxWords: 80,
  };

  it('returns the rendered template unchanged', async () => {
    const out = await llm.rewriteDraft(req);
    expect(out).toMatchObject({ subject: req.subject, body: req.body, model: 'offline' });
    expect(out.promptHash).toMatch(/^[0-9a-f]{64}$/);
    expect(llm.kind).toBe('offline');
  });

  it('hashes the inputs: stable for the same input, different for a different one', async () => {
    const a = (await llm.rewriteDraft(req)).promptHash;
    expect((await llm.rewriteDraft({ ...req, facts: { company: 'Acme', first_name: 'Jane' } })).promptHash).toBe(a);
    const others = [
      await llm.rewriteDraft({ ...req, facts: { first_name: 'Jim', company: 'Acme' } }),
      await llm.rewriteDraft({ ...req, subject: 'Another subject' }),
      await llm.rewriteDraft({ ...req, tone: 'formal' }),
      await llm.rewriteDraft({ ...req, maxWords: 50 }),
    ].map((o) => o.promptHash);
    expect(new Set([a, ...others]).size).toBe(5);
  });
});
