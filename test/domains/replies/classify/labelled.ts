/** The labelled reply set and its scoring, shared by the floor test and bench/reply-classifier.ts. */
import { readFileSync } from 'node:fs';
import {
  REPLY_LABELS,
  type ReplyClassificationResult,
  type ReplyLabel,
  type ReplyToClassify,
} from '../../../../src/domains/replies/classify/index.js';

export interface LabelledReply {
  id: string;
  lang: 'en' | 'fr';
  /** Absent in the blind batches. */
  split?: 'dev' | 'held_out';
  /** Written after the rules were frozen and measured once, untuned. */
  written_after_rules?: boolean;
  /** 2: the batch written after the tables were broadened on the first blind batch. */
  blind_batch?: number;
  from?: string;
  subject?: string;
  headers?: Record<string, string>;
  content_type?: string;
  received_at?: string;
  text: string;
  expected: {
    label: ReplyLabel;
    hot: boolean;
    return_date: string | null;
    referral_email: string | null;
    bounce_kind?: 'hard' | 'soft';
  };
}

interface LabelledFile {
  defaults: { from: string; received_at: string; timezone: string };
  items: LabelledReply[];
}

const DEFAULTS = new WeakMap<LabelledReply, LabelledFile['defaults']>();

function load(name: string): LabelledReply[] {
  const file = JSON.parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8')) as LabelledFile;
  for (const item of file.items) DEFAULTS.set(item, file.defaults);
  return file.items;
}

/** The first set: 314 replies, part of the training data of the statistical layer. */
export const LABELLED: LabelledReply[] = load('replies.labelled.json');

/**
 * The third blind batch: written and labelled before the rebuild ran on it, never trained or tuned
 * on. Its score is the honest estimate for new replies.
 */
export const BLIND_3: LabelledReply[] = load('replies.blind-3.json');

export function toReply(item: LabelledReply): ReplyToClassify {
  const defaults = DEFAULTS.get(item)!;
  return {
    from: item.from ?? defaults.from,
    subject: item.subject ?? null,
    text: item.text,
    headers: item.headers ?? {},
    contentType: item.content_type ?? null,
    receivedAt: new Date(item.received_at ?? defaults.received_at),
    timezone: defaults.timezone,
  };
}

export interface Scored {
  item: LabelledReply;
  got: ReplyClassificationResult;
}

export interface Scores {
  n: number;
  accuracy: number;
  perLabel: Record<ReplyLabel, { precision: number; recall: number; support: number }>;
  hot: { precision: number; recall: number; support: number };
  /** Over items whose expected label is out_of_office or not_now, or that expect a date. */
  returnDate: { exact: number; n: number };
  /** Over every item: the address (or null) exactly as expected. */
  referralEmail: { exact: number; n: number };
  bounceKind: { exact: number; n: number };
}

const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);

export function score(results: Scored[]): Scores {
  const perLabel = {} as Scores['perLabel'];
  for (const label of REPLY_LABELS) {
    const tp = results.filter((r) => r.got.label === label && r.item.expected.label === label).length;
    const predicted = results.filter((r) => r.got.label === label).length;
    const support = results.filter((r) => r.item.expected.label === label).length;
    perLabel[label] = { precision: ratio(tp, predicted), recall: ratio(tp, support), support };
  }
  const hotTp = results.filter((r) => r.got.hot && r.item.expected.hot).length;
  const dated = results.filter(
    (r) => ['out_of_office', 'not_now'].includes(r.item.expected.label) || r.item.expected.return_date !== null,
  );
  const bounces = results.filter((r) => r.item.expected.bounce_kind);
  return {
    n: results.length,
    accuracy: ratio(results.filter((r) => r.got.label === r.item.expected.label).length, results.length),
    perLabel,
    hot: {
      precision: ratio(hotTp, results.filter((r) => r.got.hot).length),
      recall: ratio(hotTp, results.filter((r) => r.item.expected.hot).length),
      support: results.filter((r) => r.item.expected.hot).length,
    },
    returnDate: {
      exact: dated.filter((r) => r.got.return_date === r.item.expected.return_date).length,
      n: dated.length,
    },
    referralEmail: {
      exact: results.filter((r) => r.got.referral_email === r.item.expected.referral_email).length,
      n: results.length,
    },
    bounceKind: {
      exact: bounces.filter((r) => r.got.bounce_kind === r.item.expected.bounce_kind).length,
      n: bounces.length,
    },
  };
}
