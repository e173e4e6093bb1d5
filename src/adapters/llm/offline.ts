import type { DraftRewrite, DraftRewriteRequest, Llm, ReplyClassification, ReplyIntent } from '../../kernel/ports.js';
import { canonicalJson, sha256Hex } from './prompts.js';

interface Rule {
  intent: ReplyIntent;
  confidence: number;
  /** Matched against the reply lowercased, accents removed, apostrophes straightened. */
  pattern: RegExp;
  /** Named in `reasons`: a keyword, never the reply's own words. */
  label: string;
}

// Order matters: the first rule that matches wins. Refusals come before interest because
// "not interested" / "pas intéressé" contain "interested" / "intéressé", and a request to stop
// comes before everything a person might say alongside it.
const RULES: Rule[] = [
  {
    intent: 'bounce',
    confidence: 0.95,
    label: 'delivery failure notice',
    pattern:
      /mailer-daemon|postmaster@|delivery (status notification|failure|has failed|failed)|undeliverable|undelivered mail|could not be delivered|message not delivered|address not found|non remis|echec de (la )?remise|adresse introuvable/,
  },
  {
    intent: 'unsubscribe',
    confidence: 0.95,
    label: 'unsubscribe request',
    pattern:
      /unsubscribe|remove me|take me off|opt[- ]?out|stop (emailing|sending|contacting)|do not (email|contact)|don't (email|contact)|desinscri|desabonn|(ne|plus|pas) recevoir (vos|de|d'|ces|les)|ne plus me (contacter|solliciter|ecrire)|retirez[- ]moi|supprimez[- ]moi/,
  },
  { intent: 'unsubscribe', confidence: 0.7, label: 'the word stop', pattern: /\b(stop|arretez)\b/ },
  {
    intent: 'out_of_office',
    confidence: 0.9,
    label: 'out-of-office notice',
    pattern:
      /out of (the )?office|out-of-office|auto-?reply|automatic reply|away from (the )?office|on (vacation|holiday|leave)|reponse automatique|message automatique|hors du bureau|en conges?\b|\bconge (maternite|paternite|maladie)/,
  },
  { intent: 'out_of_office', confidence: 0.75, label: 'absence', pattern: /\babsente?s?\b/ },
  {
    intent: 'not_interested',
    confidence: 0.85,
    label: 'refusal',
    pattern:
      /not (really |very |currently )?interested|no,? thanks|no,? thank you|not (a (good )?fit|for us|the right time)|we'll pass|pas (vraiment |du tout |tres )?interess|ne (nous |m'|me )?interesse(nt)? (pas|plus)|non,? merci|pas pour (nous|moi)/,
  },
  {
    intent: 'interested',
    confidence: 0.8,
    label: 'interest',
    pattern:
      /interested|let'?s (talk|chat|meet)|book a (call|meeting|demo)|schedule a (call|meeting|demo)|set up a (call|meeting)|happy to (chat|talk)|tell me more|send (me )?more (info|details)|interess|rendez[- ]vous|\brdv\b|discutons|echangeons|volontiers|appelez[- ]moi|appelons[- ]nous/,
  },
];

const QUOTE_START =
  /^(on .+ wrote:|le .+ a ecrit ?:|-+ ?original message ?-+|-+ ?message d'origine ?-+|from: .+|de ?: .+)$/m;

const normalize = (text: string) =>
  text
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\u2018\u2019\u02bc]/g, "'");

/**
 * What the person wrote, without the quoted thread: a quoted outreach email ("book a call",
 * an unsubscribe footer) must not decide the intent of the reply to it.
 */
function ownWords(normalized: string): string {
  const cut = normalized.search(QUOTE_START);
  const head = cut >= 0 ? normalized.slice(0, cut) : normalized;
  return head
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('>'))
    .join('\n');
}

// Someone who asks to be removed has, of course, also said no.
const compatible = (a: Rule, b: Rule) => a.intent === 'unsubscribe' && b.intent === 'not_interested';

/** Rule-based classification of a reply, English and French; confidence says how strong the matching rule is. */
export function classifyByRules(text: string): Omit<ReplyClassification, 'model'> {
  const all = normalize(text);
  // A bounce quotes the original message and its headers: it is recognised in the whole text.
  const bounce = RULES[0]!;
  if (bounce.pattern.test(all))
    return { intent: 'bounce', confidence: bounce.confidence, reasons: `Matched a ${bounce.label}` };
  const own = ownWords(all);
  // Each matching rule takes its words out of the text before the next looks: "not interested"
  // must not also count as a sign of interest.
  const found: Rule[] = [];
  let rest = own;
  for (const rule of RULES.slice(1)) {
    if (!rule.pattern.test(rest)) continue;
    found.push(rule);
    rest = rest.replace(new RegExp(rule.pattern.source, 'g'), ' ');
  }
  const first = found[0];
  if (first) {
    // A second, different signal makes the first less certain.
    const conflicting = found.some((r) => r.intent !== first.intent && !compatible(first, r));
    return {
      intent: first.intent,
      confidence: conflicting ? Math.round((first.confidence - 0.15) * 100) / 100 : first.confidence,
      reasons: `Matched ${first.label}${conflicting ? ' (other signals present)' : ''}`,
    };
  }
  if (own.includes('?'))
    return { intent: 'question', confidence: 0.6, reasons: 'Contains a question and no other signal' };
  return { intent: 'other', confidence: 0.3, reasons: 'No rule matched' };
}

/** Works without a key or network: drafts stay the rendered template, replies are classified by keywords. */
export class OfflineLlm implements Llm {
  readonly kind = 'offline' as const;

  async rewriteDraft(req: DraftRewriteRequest): Promise<DraftRewrite> {
    const { subject, body, facts, tone, maxWords, language } = req;
    const inputs = canonicalJson({ subject, body, facts, tone, maxWords, language });
    return { subject, body, model: 'offline', promptHash: sha256Hex(inputs) };
  }

  async classifyReply(text: string): Promise<ReplyClassification> {
    return { ...classifyByRules(text), model: 'offline' };
  }
}
