import type { Logger } from 'pino';
import { AppError } from '../../../kernel/errors.js';
import type { Llm, ReplyClassification } from '../../../kernel/ports.js';
import { addressOf, mentions } from './addresses.js';
import { isoDay } from './dates.js';
import type { ReplyClassificationResult, ReplyToClassify } from './labels.js';
import { headerHints } from './machine.js';
import { classifyOffline, machineVerdict, prepare } from './offline.js';
import { humanSignals } from './rules.js';

export interface ClassifyOptions {
  /** Told when the model fails and the offline rules decide instead: codes only, never the reply. */
  log?: Pick<Logger, 'warn'>;
}

/**
 * Classifies a reply. Headers, content type and sender that mark machine mail decide first, with no
 * model. Otherwise a model-backed Llm (Claude) decides, its answer checked against the reply; when it
 * fails (provider down, or unusable output twice) the offline rules decide and `model` says 'offline'.
 * Without a model, the offline rules decide.
 */
export async function classifyReply(
  llm: Llm,
  reply: ReplyToClassify,
  options: ClassifyOptions = {},
): Promise<ReplyClassificationResult> {
  const hints = headerHints(reply);
  if (hints.dsn || hints.automatic) {
    const p = prepare(reply);
    const decided = machineVerdict(p, hints, humanSignals(p.ownNorm));
    if (decided) return { ...decided, model: 'offline' };
  }
  if (llm.kind !== 'anthropic' || !llm.classifyReply) return classifyOffline(reply);
  const p = prepare(reply);
  try {
    const out = await llm.classifyReply({
      from: addressOf(reply.from),
      subject: reply.subject,
      // The whole text when stripping left nothing: better a long prompt than an empty one.
      text: p.own || reply.text,
      receivedOn: isoDay(p.today),
      timezone: reply.timezone,
    });
    return fromModel(out, p.own || reply.text, reply);
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'upstream_error') throw err;
    options.log?.warn(
      { err_code: err.code, malformed: err.details?.malformed === true, status: err.details?.status },
      'reply classification: the model failed, the offline rules decided',
    );
    const offline = classifyOffline(reply);
    return { ...offline, reason: `${offline.reason} (model unavailable)` };
  }
}

const ALWAYS_HOT = new Set(['interested', 'meeting_request']);
const MAY_BE_HOT = new Set(['interested', 'meeting_request', 'question', 'referral']);
const DATED = new Set(['out_of_office', 'not_now']);

/** The model's answer made consistent with the rules it was given; nothing it made up survives. */
function fromModel(out: ReplyClassification, shown: string, reply: ReplyToClassify): ReplyClassificationResult {
  const referral =
    out.referral_email &&
    out.label !== 'bounce' &&
    mentions(shown, out.referral_email) &&
    out.referral_email !== addressOf(reply.from)
      ? out.referral_email
      : null;
  return {
    label: out.label,
    confidence: out.confidence,
    reason: out.reason,
    hot: ALWAYS_HOT.has(out.label) || (MAY_BE_HOT.has(out.label) && out.hot),
    return_date: DATED.has(out.label) ? out.return_date : null,
    referral_email: referral,
    // The model is not asked about bounces: machine mail with headers never reaches it, and one
    // without headers gets its kind from the wording.
    bounce_kind: out.label === 'bounce' ? (classifyOffline(reply).bounce_kind ?? 'hard') : null,
    model: out.model,
  };
}
