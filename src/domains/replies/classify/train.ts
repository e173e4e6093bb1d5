/**
 * Fits the statistical layer (model.ts): softmax regression, full-batch AdaGrad with L2, no
 * randomness, so the same examples give the same weights on any machine. Used by
 * scripts/train-reply-model.ts and by the test that checks the committed weights.
 */
import type { ReplyLabel } from './labels.js';
import type { ModelWeights } from './model.js';

export interface TrainingExample {
  features: readonly string[];
  label: ReplyLabel;
}

export interface TrainOptions {
  /** Features seen in fewer examples are dropped. */
  minCount?: number;
  epochs?: number;
  l2?: number;
  rate?: number;
}

// `|| 0`: no -0, which JSON cannot keep.
const round = (x: number) => Math.round(x * 1000) / 1000 || 0;

export function trainModel(
  examples: readonly TrainingExample[],
  labels: readonly ReplyLabel[],
  options: TrainOptions = {},
): ModelWeights {
  const { minCount = 2, epochs = 300, l2 = 0.002, rate = 0.5 } = options;
  const count = new Map<string, number>();
  for (const e of examples) for (const f of e.features) count.set(f, (count.get(f) ?? 0) + 1);
  const names = [...count.keys()].filter((f) => count.get(f)! >= minCount || f === 'bias').sort();
  const index = new Map(names.map((f, i) => [f, i]));
  const K = labels.length;
  const w = new Float64Array(names.length * K);
  const g2 = new Float64Array(names.length * K).fill(1e-8);
  const rows = examples.map((e) => ({
    x: e.features.map((f) => index.get(f)).filter((i): i is number => i !== undefined),
    y: labels.indexOf(e.label),
  }));
  const grad = new Float64Array(w.length);
  const p = new Float64Array(K);
  for (let epoch = 0; epoch < epochs; epoch++) {
    grad.fill(0);
    for (const { x, y } of rows) {
      let max = -Infinity;
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (const i of x) s += w[i * K + k]!;
        p[k] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let k = 0; k < K; k++) {
        p[k] = Math.exp(p[k]! - max);
        sum += p[k]!;
      }
      for (let k = 0; k < K; k++) {
        const d = p[k]! / sum - (k === y ? 1 : 0);
        for (const i of x) grad[i * K + k]! += d;
      }
    }
    for (let j = 0; j < w.length; j++) {
      const gj = grad[j]! / rows.length + l2 * w[j]!;
      g2[j]! += gj * gj;
      w[j]! -= (rate * gj) / Math.sqrt(g2[j]!);
    }
  }
  const weights: Record<string, number[]> = {};
  names.forEach((f, i) => {
    const row = Array.from(w.subarray(i * K, (i + 1) * K), round);
    if (row.some((v) => v !== 0)) weights[f] = row;
  });
  return { labels: [...labels], weights };
}
