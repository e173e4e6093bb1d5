import { describe, expect, it } from 'vitest';
import { fillTemplate, templateVariables } from '../../../src/domains/agents/agents.model.js';
import { searchWords } from '../../../src/domains/agents/offline.js';
import { matchingRule } from '../../../src/domains/agents/verticals.js';

describe('vertical escalation rules', () => {
  const clinic = (text: string) => matchingRule('clinic', text)?.name ?? null;

  it('a clinic agent escalates symptoms, treatments and doses, in English and French', () => {
    for (const text of [
      'I have a fever since yesterday',
      "J'ai de la fièvre depuis hier",
      'What dose of paracetamol should I take?',
      'Quel médicament pour une migraine ?',
      'My son has a rash on his arm',
      'Is this cough serious?',
      "J'ai mal à la tête",
      'Can you prescribe antibiotics?',
    ]) {
      expect(clinic(text), text).toBe('medical_advice');
    }
  });

  it('emergencies come first, urgent', () => {
    for (const text of ['My father has chest pain', 'Ma mère a du mal à respirer', 'He is unconscious', 'URGENCE !']) {
      expect(clinic(text), text).toBe('emergency');
      expect(matchingRule('clinic', text)?.priority).toBe('urgent');
    }
  });

  it('practical clinic questions are answered, not escalated', () => {
    for (const text of [
      'What are your opening hours on Saturday?',
      'Où êtes-vous situés ?',
      'How do I book an appointment?',
      'Is there free parking?',
      'Quels sont vos tarifs ?',
    ]) {
      expect(clinic(text), text).toBeNull();
    }
  });

  it('each vertical has its own rules; no vertical, no rules', () => {
    // A restaurant agent books through create_booking: a booking request is no longer handed over by a rule.
    expect(matchingRule('restaurant', 'I would like to book a table for four')).toBeUndefined();
    expect(matchingRule('restaurant', 'Je suis allergique aux arachides')?.name).toBe('allergy');
    expect(matchingRule('transport', "J'ai perdu mon sac dans le bus")?.name).toBe('claim');
    expect(matchingRule('support', 'Can I talk to a human?')?.name).toBe('asks_for_a_person');
    expect(matchingRule('sales', 'I have a fever')).toBeUndefined();
    expect(matchingRule(null, 'chest pain')).toBeUndefined();
  });
});

describe('goal templates', () => {
  it('lists and fills {{variables}}, naming those missing', () => {
    expect(templateVariables('Help {{ name }} with {{task}} and {{task}}')).toEqual(['name', 'task']);
    expect(templateVariables(null)).toEqual([]);
    expect(fillTemplate('Help {{name}} with {{task}}', { name: 'Ada', task: 'billing' })).toEqual({
      text: 'Help Ada with billing',
      missing: [],
    });
    expect(fillTemplate('Help {{name}} with {{task}}', { name: 'Ada' }).missing).toEqual(['task']);
  });
});

describe('offline search words', () => {
  it('keeps words, drops search operators and punctuation, bounds the count', () => {
    expect(searchWords('"Opening" hours -Saturday, or Sunday?')).toBe('Opening hours Saturday Sunday');
    expect(searchWords('x '.repeat(100)).split(' ')).toHaveLength(32);
    expect(searchWords('a'.repeat(5000))).toBe('');
  });
});
