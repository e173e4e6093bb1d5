/**
 * Trains the statistical layer of the offline reply classifier (src/domains/replies/classify/model.ts)
 * and writes model.weights.json next to it. Training data: the labelled set
 * (test/domains/replies/classify/replies.labelled.json) and the training replies
 * (replies.training.json). Never the blind batch (replies.blind-3.json): it measures, it does not teach.
 *
 *   node --import tsx scripts/train-reply-model.ts          # writes the weights (then biome format them)
 *   node --import tsx scripts/train-reply-model.ts --check  # exit 1 when the committed file differs
 *   node --import tsx scripts/train-reply-model.ts --cv     # 5-fold cross-validation on the training replies
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { REPLY_LABELS, type ReplyLabel, type ReplyToClassify } from '../src/domains/replies/classify/labels.js';
import { headerHints } from '../src/domains/replies/classify/machine.js';
import type { ModelWeights } from '../src/domains/replies/classify/model.js';
import { classifyOffline, machineVerdict, prepare, ruleRanking } from '../src/domains/replies/classify/offline.js';
import { replyFeatures } from '../src/domains/replies/classify/features.js';
import { humanSignals } from '../src/domains/replies/classify/rules.js';
import { type TrainingExample, trainModel } from '../src/domains/replies/classify/train.js';

const DIR = new URL('../test/domains/replies/classify/', import.meta.url);
export const WEIGHTS_FILE = new URL('../src/domains/replies/classify/model.weights.json', import.meta.url);

interface Item {
  id: string;
  label: ReplyLabel;
  reply: ReplyToClassify;
  /** From replies.training.json (the folds of --cv), not the labelled set. */
  training: boolean;
}

interface RawItem {
  id: string;
  text: string;
  label?: ReplyLabel;
  expected?: { label: ReplyLabel };
  from?: string;
  subject?: string;
  headers?: Record<string, string>;
  content_type?: string;
  received_at?: string;
}

const DEFAULTS = { from: 'prospect@example.test', received_at: '2026-01-14T10:00:00Z', timezone: 'Europe/Paris' };

function load(name: string, training: boolean): Item[] {
  const file = JSON.parse(readFileSync(new URL(name, DIR), 'utf8')) as { items: RawItem[] };
  return file.items.map((r) => ({
    id: r.id,
    label: (r.label ?? r.expected?.label)!,
    training,
    reply: {
      from: r.from ?? DEFAULTS.from,
      subject: r.subject ?? null,
      text: r.text,
      headers: r.headers ?? {},
      contentType: r.content_type ?? null,
      receivedAt: new Date(r.received_at ?? DEFAULTS.received_at),
      timezone: DEFAULTS.timezone,
    },
  }));
}

export function trainingItems(): Item[] {
  return [...load('replies.labelled.json', false), ...load('replies.training.json', true)];
}

function example(item: Item): TrainingExample {
  const p = prepare(item.reply);
  return { features: replyFeatures(p.ownNorm, humanSignals(p.ownNorm)), label: item.label };
}

/** The weights these items train. */
export function trainWeights(items: readonly Item[] = trainingItems()): ModelWeights {
  return trainModel(items.map(example), REPLY_LABELS);
}

/** The committed weights file, parsed (its layout is biome's: compare values, not text). */
export const committedWeights = (): ModelWeights => JSON.parse(readFileSync(WEIGHTS_FILE, 'utf8')) as ModelWeights;

const sameWeights = (a: ModelWeights, b: ModelWeights) => JSON.stringify(a) === JSON.stringify(b);

/** The rules alone, as before the statistical layer: machine verdict, else the first intent by precedence. */
function rulesOnly(item: Item): ReplyLabel {
  const p = prepare(item.reply);
  const s = humanSignals(p.ownNorm);
  return machineVerdict(p, headerHints(item.reply), s)?.label ?? ruleRanking(s)[0] ?? 'other';
}

function crossValidate(folds = 5) {
  const items = trainingItems();
  const tested = items.filter((i) => i.training);
  const got = { rules: new Map<string, ReplyLabel>(), combined: new Map<string, ReplyLabel>() };
  for (let f = 0; f < folds; f++) {
    const inFold = new Set(tested.filter((_, i) => i % folds === f).map((i) => i.id));
    const model = trainWeights(items.filter((i) => !inFold.has(i.id)));
    for (const item of tested.filter((i) => inFold.has(i.id))) {
      got.rules.set(item.id, rulesOnly(item));
      got.combined.set(item.id, classifyOffline(item.reply, model).label);
    }
  }
  for (const [name, labels] of Object.entries(got)) {
    const right = tested.filter((i) => labels.get(i.id) === i.label).length;
    const unsub = tested.filter((i) => i.label === 'unsubscribe');
    const unsubRight = unsub.filter((i) => labels.get(i.id) === 'unsubscribe').length;
    const unsubFalse = tested.filter((i) => i.label !== 'unsubscribe' && labels.get(i.id) === 'unsubscribe').length;
    console.log(
      `${name}: accuracy ${((100 * right) / tested.length).toFixed(1)}% (${right}/${tested.length}), unsubscribe recall ${unsubRight}/${unsub.length}, false unsubscribe ${unsubFalse}`,
    );
  }
  if (process.argv.includes('--errors'))
    for (const i of tested)
      if (got.combined.get(i.id) !== i.label)
        console.log(
          `${i.id} ${got.combined.get(i.id)} != ${i.label} (rules ${got.rules.get(i.id)}) | ${JSON.stringify(i.reply.text.slice(0, 100))}`,
        );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  if (args.includes('--cv')) crossValidate();
  else {
    const model = trainWeights();
    if (args.includes('--check')) {
      const same = sameWeights(committedWeights(), model);
      console.log(same ? 'model.weights.json is up to date' : 'model.weights.json differs: run the script');
      process.exit(same ? 0 : 1);
    }
    writeFileSync(WEIGHTS_FILE, `${JSON.stringify(model)}\n`);
    console.log(`wrote ${WEIGHTS_FILE.pathname}; now run: npx biome format --write ${WEIGHTS_FILE.pathname}`);
  }
}
