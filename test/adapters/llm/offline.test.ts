import { describe, expect, it } from 'vitest';
import type { ReplyIntent } from '../../../src/kernel/ports.js';
import { OfflineLlm } from '../../../src/adapters/llm/offline.js';

const llm = new OfflineLlm();

describe('OfflineLlm.classifyReply', () => {
  const samples: [string, ReplyIntent, number][] = [
    // English
    ['Please unsubscribe me from this list.', 'unsubscribe', 0.95],
    ['Remove me from your mailing list', 'unsubscribe', 0.95],
    ['STOP', 'unsubscribe', 0.7],
    ['I am out of office until May 3 with limited access to email.', 'out_of_office', 0.9],
    ['Automatic reply: thank you for your message', 'out_of_office', 0.9],
    ["Sounds good, I'm interested. Let's talk next week.", 'interested', 0.8],
    ['Can we book a call on Tuesday?', 'interested', 0.8],
    ["Thanks, but we're not interested.", 'not_interested', 0.85],
    ['No thanks.', 'not_interested', 0.85],
    [
      'Delivery Status Notification (Failure)\nFrom: Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
      'bounce',
      0.95,
    ],
    ['Your message to jane@acme.test could not be delivered.', 'bounce', 0.95],
    ['What does it cost per seat?', 'question', 0.6],
    ['Thanks for the note.', 'other', 0.3],
    // French
    ['Merci de me désinscrire de votre liste.', 'unsubscribe', 0.95],
    ['Je ne souhaite plus recevoir vos emails.', 'unsubscribe', 0.95],
    ["Je suis absent du bureau jusqu'au 12 mai.", 'out_of_office', 0.75],
    ['Réponse automatique : je suis en congés.', 'out_of_office', 0.9],
    ['Très intéressé, pouvons-nous prendre rendez-vous jeudi ?', 'interested', 0.8],
    ['Merci, mais nous ne sommes pas intéressés.', 'not_interested', 0.85],
    ['Ça ne nous intéresse pas.', 'not_interested', 0.85],
    ['Non merci.', 'not_interested', 0.85],
    ['Message non remis : adresse introuvable', 'bounce', 0.95],
    ['Quel est le tarif ?', 'question', 0.6],
    ['Bien reçu.', 'other', 0.3],
  ];

  it.each(samples)('%j → %s (%d)', async (text, intent, confidence) => {
    const out = await llm.classifyReply(text);
    expect(out.intent).toBe(intent);
    expect(out.confidence).toBe(confidence);
    expect(out.model).toBe('offline');
    expect(out.reasons.length).toBeGreaterThan(0);
  });

  it('ignores the quoted outreach email, in English and in French', async () => {
    const en = await llm.classifyReply(
      'What is the price?\n\nOn Mon, Jan 6, 2025 at 10:00 AM Sam <sam@example.com> wrote:\n> Book a call here.\n> To unsubscribe, reply STOP.',
    );
    expect(en.intent).toBe('question');
    const fr = await llm.classifyReply(
      'Pas pour nous.\n\nLe lun. 6 janv. 2025 à 10:00, Sam <sam@example.com> a écrit :\nPrenons rendez-vous ? Pour vous désinscrire, répondez STOP.',
    );
    expect(fr.intent).toBe('not_interested');
    const quotedLines = await llm.classifyReply('Thanks!\n> interested? book a call');
    expect(quotedLines.intent).toBe('other');
  });

  it('lowers confidence when signals conflict, but not for a refusal with an unsubscribe', async () => {
    const mixed = await llm.classifyReply("I'm interested, but please remove me from this list");
    expect(mixed).toMatchObject({ intent: 'unsubscribe', confidence: 0.8 });
    expect(mixed.reasons).toContain('other signals');
    const refusal = await llm.classifyReply('Not interested, unsubscribe me.');
    expect(refusal).toMatchObject({ intent: 'unsubscribe', confidence: 0.95 });
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
