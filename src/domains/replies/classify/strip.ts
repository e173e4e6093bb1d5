import { normalize } from './normalize.js';

// Where quoted history starts. Each is tested on a line joined with the next two (normalized),
// because clients wrap long attribution lines ("On Mon, Jan 6, 2025 at 10:00 AM Sam <\nsam@x> wrote:").
const QUOTE_START: RegExp[] = [
  // Gmail, Apple Mail and most clients, English: "On <date>, <name> <address> wrote:"
  /^on\s.{0,300}?\bwrote\s?:/,
  // French: "Le lun. 6 janv. 2025 à 10:00, Sam <sam@x> a écrit :"
  /^le\s.{0,300}?\ba ecrit\s?:/,
  // German, Spanish: replies in other languages quote the same way
  /^am\s.{0,300}?\bschrieb\s?:/,
  /^el\s.{0,300}?\bescribio\s?:/,
  // Outlook and webmail separators, forwarded blocks
  /^-{2,}\s?(original message|message d'origine|message original|forwarded message|message transfere|mensaje original)\s?-{2,}/,
  /^(begin forwarded message|debut du message reexpedie)\s?:/,
];

// Outlook quotes the previous message under a block of header lines: "From:" / "De :" followed,
// within a few lines, by "Sent:", "Date:", "To:", "Subject:" or their French forms.
const OUTLOOK_FROM = /^\*?(from|de)\s?:\*?\s*\S/;
const OUTLOOK_NEXT = /^\*?(sent|date|envoye|to|a|subject|objet|cc)\s?:/;
const RULE_LINE = /^_{8,}\s*$/;

// The end of what the person wrote: a "-- " signature delimiter, a mobile footer, a legal disclaimer.
const SIGNATURE_START: RegExp[] = [
  /^--\s*$/,
  /^(sent from my|sent from (mail|outlook|yahoo)|get outlook for|sent via)\b/,
  /^(envoye|envoyee) (de|depuis|a partir de) (mon|ma|l'application|outlook|yahoo)\b/,
  /^telechargez outlook\b/,
  /^(this (e-?mail|message)( and any (attachments?|files))? (is|are|may be|contains?) (confidential|intended|privileged))/,
  /^(confidentiality notice|disclaimer)\b/,
  /^(ce (message|courriel|e-?mail|mail)( et (toutes )?(les |ses )?pieces jointes)? (est|sont|peut|peuvent) (confidentiel|strictement|destine|etre confidentiel))/,
];

// A closing formula. What follows it is cut only when it all looks like a signature block (see below):
// a "P.S." or a real sentence after "Thanks," is still the person's own words.
const SIGN_OFF =
  /^(best|best regards|best wishes|kind regards|warm regards|regards|many thanks|thanks|thank you|thx|cheers|sincerely|all the best|talk soon|cordialement|bien cordialement|tres cordialement|bien a vous|sinceres salutations|salutations|bonne journee|belle journee|bonne soiree|merci|merci beaucoup|merci d'avance|amicalement|bises|a bientot)[\s,.!-]*$/;

const signatureLike = (line: string) =>
  line === '' || (!/[?]/.test(line) && !/^p\.?\s?s\b/.test(line) && line.split(/\s+/).length <= 8);

function quoteStart(norm: string[], i: number): boolean {
  const joined = norm
    .slice(i, i + 3)
    .join(' ')
    .trim();
  if (QUOTE_START.some((re) => re.test(joined))) return true;
  const line = norm[i]!.trim();
  const outlookBlock = (from: number) =>
    OUTLOOK_FROM.test(norm[from]?.trim() ?? '') &&
    norm.slice(from + 1, from + 6).some((l) => OUTLOOK_NEXT.test(l.trim()));
  if (RULE_LINE.test(line)) return outlookBlock(i + 1) || outlookBlock(i + 2);
  return outlookBlock(i);
}

/**
 * The reply without quoted history and signature, in English and French: Gmail/Apple "On ... wrote:"
 * and "Le ... a écrit :", Outlook "From:/Sent:" and "De :/Envoyé :" blocks, "-----Original Message-----",
 * "> " lines, "-- " signatures, "Sent from my iPhone"/"Envoyé de mon iPhone", disclaimers and a closing
 * formula followed only by signature lines. A quoted outreach email ("book a call", "unsubscribe")
 * must not decide what the reply says.
 */
export function ownWords(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const norm = lines.map(normalize);
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const line = norm[i]!.trim();
    if (quoteStart(norm, i) || SIGNATURE_START.some((re) => re.test(line))) {
      end = i;
      break;
    }
  }
  const kept: number[] = [];
  for (let i = 0; i < end; i++) if (!norm[i]!.trimStart().startsWith('>')) kept.push(i);
  // The last closing formula with something before it, if only signature-like lines follow it.
  for (let k = kept.length - 1; k > 0; k--) {
    const line = norm[kept[k]!]!.trim();
    if (!SIGN_OFF.test(line)) continue;
    const after = kept.slice(k + 1).map((i) => norm[i]!.trim());
    const before = kept.slice(0, k).some((i) => norm[i]!.trim() !== '');
    if (before && after.length <= 8 && after.every(signatureLike)) kept.length = k;
    break;
  }
  return kept
    .map((i) => lines[i]!.trimEnd())
    .join('\n')
    .trim();
}
