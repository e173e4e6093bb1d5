import { describe, expect, it } from 'vitest';
import { committedWeights, trainWeights } from '../../../../scripts/train-reply-model.js';
import { classifyOffline } from '../../../../src/domains/replies/classify/index.js';

const classify = (text: string) =>
  classifyOffline({
    from: 'prospect@example.test',
    subject: null,
    text,
    headers: {},
    contentType: null,
    receivedAt: new Date('2026-01-14T10:00:00Z'),
    timezone: 'Europe/Paris',
  });

describe('the statistical layer', () => {
  it('ships the weights scripts/train-reply-model.ts produces from the training replies', () => {
    expect(committedWeights()).toEqual(trainWeights());
  });

  // Opt-outs in the wordings people use, whatever the tables or the model would say alone.
  it.each([
    'take me off',
    'Remove my address, please.',
    'no more emails',
    'Stop writing to me.',
    'Retirez-moi de votre liste.',
    'Je ne souhaite plus recevoir vos messages.',
    "Merci de ne plus m'écrire.",
    'Désabonnez-moi.',
    'STOP',
    'Kindly cease all further communication.',
    'Could you please not email me again?',
    'envoyez plus rien a cette adresse',
  ])('"%s" is an opt-out', (text) => {
    expect(classify(text).label).toBe('unsubscribe');
  });

  it('does not take the word "unsubscribe" in another sense for a request', () => {
    expect(classify('Do your emails include an unsubscribe link? Our legal team requires one.').label).toBe('question');
    expect(classify("I didn't unsubscribe, I'd love to hear more.").label).toBe('interested');
  });

  it('keeps the issue precedence when the rules find several intents', () => {
    expect(classify('Does it integrate with SAP? Either way, reach out in Q3.').label).toBe('question');
    expect(classify("I'm interested, but ask me again in September.").label).toBe('not_now');
  });

  it('says when the model, not a rule, decided', () => {
    const got = classify(
      'Nous regarderons ce type d’outil au second semestre, merci de revenir vers nous à ce moment.',
    );
    expect(got.reason).not.toContain('\n');
    expect(got.confidence).toBeGreaterThan(0);
    expect(got.confidence).toBeLessThanOrEqual(1);
  });
});
