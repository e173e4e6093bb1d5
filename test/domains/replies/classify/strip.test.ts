import { describe, expect, it } from 'vitest';
import { ownWords } from '../../../../src/domains/replies/classify/index.js';

describe('ownWords', () => {
  it.each([
    [
      'Gmail, English, attribution wrapped over two lines',
      'Sounds good.\n\nOn Mon, Jan 12, 2026 at 9:14 AM Sam Carter <\nsam@switchboard.test> wrote:\n> Book a call?\n> Reply unsubscribe to stop.',
      'Sounds good.',
    ],
    [
      'Apple Mail / Gmail, French',
      'Pas pour nous.\n\nLe lun. 12 janv. 2026 à 09:14, Sam Carter <sam@switchboard.test> a écrit :\nPrenons rendez-vous ?',
      'Pas pour nous.',
    ],
    [
      'Outlook, English block under a rule',
      'What is the price?\n\n________________________________\nFrom: Sam <sam@switchboard.test>\nSent: Monday, January 12, 2026 9:14 AM\nTo: Jane\nSubject: Idea\n\nBook a call',
      'What is the price?',
    ],
    [
      'Outlook, French block',
      'Merci, non.\n\nDe : Sam <sam@switchboard.test>\nEnvoyé : lundi 12 janvier 2026 09:14\nÀ : Marc\nObjet : Idée\n\nUn rendez-vous ?',
      'Merci, non.',
    ],
    ['Original Message', 'OK for Tuesday.\n-----Original Message-----\nFrom: Sam\nUnsubscribe here', 'OK for Tuesday.'],
    ["Message d'origine", "D'accord.\n----- Message d'origine -----\nDe : Sam\nSe désinscrire", "D'accord."],
    [
      '> lines interleaved',
      'Yes.\n> Would you like a demo?\nThursday works.\n> Or unsubscribe.',
      'Yes.\nThursday works.',
    ],
    ['"-- " signature', 'Send details.\n\n-- \nJane Doe\njane@acme.test', 'Send details.'],
    ['Sent from my iPhone', 'Yes let us talk\n\nSent from my iPhone', 'Yes let us talk'],
    ['Envoyé de mon iPhone', 'Retirez-moi.\n\nEnvoyé de mon iPhone', 'Retirez-moi.'],
    ['a closing formula and a signature block', 'Not now.\n\nBest,\nJane Doe\nCOO, Acme\n+1 555 0100', 'Not now.'],
    ['French closing formula', 'Pas intéressé.\n\nCordialement,\nMarc Leroy\nGarage Leroy', 'Pas intéressé.'],
    [
      'a disclaimer',
      'Call me.\n\nThis email and any attachments are confidential and intended solely for...',
      'Call me.',
    ],
  ])('%s', (_name, text, expected) => {
    expect(ownWords(text)).toBe(expected);
  });

  it('keeps a P.S. or a real sentence after a closing formula', () => {
    expect(ownWords('Great product.\n\nThanks,\nEmma\n\nP.S. please remove me from your list')).toContain('remove me');
    expect(ownWords('Thanks!\nActually, could you send the pricing?')).toContain('pricing');
  });

  it('leaves a reply that is only a closing formula alone, and CRLF line ends work', () => {
    expect(ownWords('Merci, bonne journée.')).toBe('Merci, bonne journée.');
    expect(ownWords('No thanks.\r\n\r\nOn Mon, Jan 12, 2026, Sam <s@x.test> wrote:\r\n> hi')).toBe('No thanks.');
  });
});
