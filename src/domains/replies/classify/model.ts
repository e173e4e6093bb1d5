/**
 * The statistical layer: a multinomial logistic regression over features.ts, trained by
 * scripts/train-reply-model.ts on the labelled replies and committed as model.weights.json (a test
 * checks the file is what the script produces). Pure: no I/O beyond the JSON import.
 */
import type { ReplyLabel } from './labels.js';
import weights from './model.weights.json' with { type: 'json' };

/** The weights file: per feature, one weight per label (in `labels` order). */
export interface ModelWeights {
  labels: ReplyLabel[];
  weights: Record<string, number[]>;
}

const MODEL = weights as ModelWeights;

/** Probability of each label given the features (softmax of the summed weights). */
export function predict(features: readonly string[], model: ModelWeights = MODEL): Map<ReplyLabel, number> {
  const scores = model.labels.map(() => 0);
  for (const f of features) {
    const w = model.weights[f];
    if (w) for (let k = 0; k < scores.length; k++) scores[k]! += w[k]!;
  }
  const max = Math.max(...scores);
  const exp = scores.map((s) => Math.exp(s - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  return new Map(model.labels.map((label, k) => [label, exp[k]! / sum]));
}
