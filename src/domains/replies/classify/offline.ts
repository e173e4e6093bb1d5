/**
 * The offline classifier: machine-generated mail first (bounce, out_of_office, referral for a
 * departure, auto_reply), then a person's intents by the precedence of issue #11. No model, no network.
 */
import { referralEmail } from './addresses.js';
import { type Day, followUpDate, localDay, returnDateOfAbsence } from './dates.js';
import { evaluatingQuestion, referralWithNeed } from './hot.js';
import type { ReplyClassificationResult, ReplyLabel, ReplyToClassify } from './labels.js';
import {
  absence,
  acknowledgement,
  bounceEvidence,
  bounceKind,
  departure,
  type HeaderHints,
  headerHints,
} from './machine.js';
import { replyFeatures } from './features.js';
import { type ModelWeights, predict } from './model.js';
import { detectLanguage, normalize } from './normalize.js';
import { type HumanIntent, type HumanSignals, humanSignals } from './rules.js';
import { ownWords } from './strip.js';

/** A reply read once: own words, normalized forms, the day it arrived. */
export interface PreparedReply {
  reply: ReplyToClassify;
  own: string;
  ownNorm: string;
  /** Subject and whole text, quoted parts included: bounces quote the message they return. */
  fullNorm: string;
  today: Day;
  dayFirst: boolean;
}

export function prepare(reply: ReplyToClassify): PreparedReply {
  const own = ownWords(reply.text);
  const ownNorm = normalize(own);
  return {
    reply,
    own,
    ownNorm,
    fullNorm: normalize(`${reply.subject ?? ''}\n${reply.text}`),
    today: localDay(reply.receivedAt, reply.timezone),
    dayFirst: detectLanguage(ownNorm || normalize(reply.text)) === 'fr',
  };
}

type Verdict = Omit<ReplyClassificationResult, 'model'>;

const verdict = (label: ReplyLabel, confidence: number, reason: string, extra: Partial<Verdict> = {}): Verdict => ({
  label,
  confidence,
  reason,
  hot: false,
  return_date: null,
  referral_email: null,
  bounce_kind: null,
  ...extra,
});

// Intents a person may add to an automatic-looking text without headers saying it is automatic:
// "I'm out until Monday, but yes, let's book a call" is a meeting request.
const OVERRIDES_ABSENCE: readonly HumanIntent[] = ['unsubscribe', 'meeting_request', 'question'];

/** Machine-generated mail, or null when a person wrote it. With header hints it always decides. */
export function machineVerdict(p: PreparedReply, hints: HeaderHints, human: HumanSignals): Verdict | null {
  const { reply, own, ownNorm, fullNorm, today, dayFirst } = p;
  const evidence = bounceEvidence(fullNorm);
  if (hints.dsn || evidence >= 2 || (hints.automatic && evidence >= 1)) {
    const kind = bounceKind(fullNorm);
    return verdict(
      'bounce',
      hints.dsn ? 0.97 : 0.9,
      `Delivery status notification (${kind}): ${hints.dsn ?? 'delivery failure wording'}`,
      {
        bounce_kind: kind,
      },
    );
  }
  const subject = normalize(reply.subject ?? '');
  const person = !hints.automatic;
  const overridden = person && OVERRIDES_ABSENCE.some((i) => human.found[i]);
  const referral = referralEmail(own, reply.from);
  if ((absence(ownNorm) || absence(subject)) && !overridden) {
    return verdict(
      'out_of_office',
      hints.automatic ? 0.95 : 0.85,
      `Out of office: ${hints.automatic ?? 'a temporary absence notice'}`,
      {
        return_date: returnDateOfAbsence(ownNorm, today, dayFirst),
        referral_email: referral,
      },
    );
  }
  if (departure(ownNorm) && !(person && human.found.unsubscribe)) {
    return verdict('referral', 0.85, 'Referral: the contact left or handed over', {
      referral_email: referral,
      hot: referralWithNeed(ownNorm),
    });
  }
  if (acknowledgement(ownNorm)) {
    return verdict(
      'auto_reply',
      hints.automatic ? 0.95 : 0.85,
      `Automatic reply: ${hints.automatic ?? 'an automatic acknowledgement'}`,
      {
        referral_email: referral,
      },
    );
  }
  if (hints.automatic)
    return verdict('auto_reply', 0.8, `Automatic reply: ${hints.automatic}`, { referral_email: referral });
  return null;
}

// Issue #11: for a person's reply with several intents, the first of these wins. Weak cues
// ("sounds good", "not for me", "not now" with no date) come after every strong one.
const PRECEDENCE: readonly HumanIntent[] = [
  'unsubscribe',
  'meeting_request',
  'question',
  'not_now',
  'interested',
  'not_interested',
  'referral',
];

const CONFIDENCE: Record<HumanIntent, number> = {
  unsubscribe: 0.95,
  meeting_request: 0.85,
  question: 0.75,
  not_now: 0.8,
  interested: 0.8,
  not_interested: 0.8,
  referral: 0.8,
};

const TITLE: Record<HumanIntent, string> = {
  unsubscribe: 'Unsubscribe',
  meeting_request: 'Meeting request',
  question: 'Question',
  not_now: 'Not now',
  interested: 'Interested',
  not_interested: 'Not interested',
  referral: 'Referral',
};

/** The rules' answer for a person's reply: the intents found, ranked by precedence (weak cues last). */
export function ruleRanking(s: HumanSignals): HumanIntent[] {
  const strong = PRECEDENCE.filter((i) => {
    if (!s.found[i]) return false;
    if (i === 'interested') return !s.weakInterest;
    if (i === 'not_interested') return !s.weakRefusal;
    return true;
  });
  const weak: HumanIntent[] = [];
  if (s.found.not_interested && s.weakRefusal) weak.push('not_interested');
  if (s.found.interested && s.weakInterest) weak.push('interested');
  return [...strong, ...weak];
}

// Labels the model may give a person's reply. Machine labels need more: the rules for them are
// precise, and a person's short note is easily mistaken for an automatic one.
const HUMAN_LABELS: readonly ReplyLabel[] = [...PRECEDENCE, 'other'];
const MACHINE_FLOOR = 0.8;
// Opt-outs are a legal matter: the model's doubt is enough when the rules found none.
const UNSUBSCRIBE_FLOOR = 0.3;
// A rule's intent the model gives at least this much stays in the running for precedence.
const PLAUSIBLE = 0.15;

/** The label for a person's reply, from the rules' ranking and the model's probabilities. */
export function decideLabel(ranked: readonly HumanIntent[], probs: ReadonlyMap<ReplyLabel, number>): ReplyLabel {
  if (ranked[0] === 'unsubscribe') return 'unsubscribe';
  if ((probs.get('unsubscribe') ?? 0) >= UNSUBSCRIBE_FLOOR) return 'unsubscribe';
  let best: ReplyLabel = 'other';
  let bestP = -1;
  for (const [label, pr] of probs) {
    if (!HUMAN_LABELS.includes(label) && pr < MACHINE_FLOOR) continue;
    if (pr > bestP) [best, bestP] = [label, pr];
  }
  // Several intents in one reply: the precedence decides among the one the model prefers and
  // those the rules found that the model does not rule out.
  const rival = PRECEDENCE.find((i) => ranked.includes(i) && (probs.get(i) ?? 0) >= PLAUSIBLE);
  if (
    rival &&
    PRECEDENCE.includes(best as HumanIntent) &&
    PRECEDENCE.indexOf(rival) < PRECEDENCE.indexOf(best as HumanIntent)
  )
    return rival;
  return best;
}

/** A person's reply: the rules' intents and the model's probabilities, resolved by decideLabel. */
export function humanVerdict(p: PreparedReply, s: HumanSignals, model?: ModelWeights): Verdict {
  const { reply, own, ownNorm, today, dayFirst } = p;
  const ranked = ruleRanking(s);
  const probs = predict(replyFeatures(ownNorm, s), model);
  const label = decideLabel(ranked, probs);
  const referral = referralEmail(own, reply.from);
  const note = s.injection ? ' (instructions inside the reply were ignored)' : '';
  const pr = probs.get(label) ?? 0;
  if (label === 'out_of_office' || label === 'auto_reply') {
    return verdict(
      label,
      round(pr),
      `${label === 'out_of_office' ? 'Out of office' : 'Automatic reply'}: by wording${note}`,
      {
        referral_email: referral,
        return_date: label === 'out_of_office' ? returnDateOfAbsence(ownNorm, today, dayFirst) : null,
      },
    );
  }
  if (label === 'other' || label === 'bounce')
    return verdict('other', ownNorm.trim() ? round(Math.min(0.6, pr)) : 0.3, `No intent recognised${note}`, {
      referral_email: referral,
    });
  const first = label as HumanIntent;
  const byRules = ranked[0] === first;
  const others = ranked.filter((i) => i !== first);
  const conflicted = others.length > 0 && !(first === 'unsubscribe' && others.every((i) => i === 'not_interested'));
  const base = byRules ? Math.max(CONFIDENCE[first], pr) : pr;
  const confidence = Math.min(0.97, Math.max(0.3, base - (conflicted ? 0.1 : 0)));
  const also = conflicted ? ` (also: ${others.join(', ')})` : '';
  const cue = s.found[first] ?? 'by wording (statistical model)';
  let hot = false;
  if (first === 'interested' || first === 'meeting_request') hot = true;
  if (first === 'question') hot = evaluatingQuestion(ownNorm);
  if (first === 'referral') hot = referralWithNeed(ownNorm);
  return verdict(first, round(confidence), `${TITLE[first]}: ${cue}${also}${note}`, {
    hot,
    return_date: first === 'not_now' ? followUpDate(ownNorm, today, dayFirst) : null,
    referral_email: referral,
  });
}

const round = (x: number) => Math.round(x * 100) / 100;

/**
 * The offline classification: rules for machine mail, rules and the statistical layer for a person's
 * reply. No network. `model` replaces the committed weights (training and cross-validation only).
 */
export function classifyOffline(reply: ReplyToClassify, model?: ModelWeights): ReplyClassificationResult {
  const p = prepare(reply);
  const human = humanSignals(p.ownNorm);
  const decided = machineVerdict(p, headerHints(reply), human) ?? humanVerdict(p, human, model);
  return { ...decided, model: 'offline' };
}
