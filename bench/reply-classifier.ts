/**
 * Quality of the offline reply classifier on the labelled set
 * (test/domains/replies/classify/replies.labelled.json): accuracy, per-label precision/recall, hot
 * precision/recall, return_date and referral_email exactness, English vs French, on the whole set,
 * the dev half (the one looked at while writing the rules) and the held-out half.
 * Also the third blind batch (replies.blind-3.json), which nothing was trained or tuned on.
 * Run with `npm run bench:replies`; `-- --errors dev` also lists the dev items it gets wrong
 * (`all`, `held_out`, `blind` likewise).
 */
import { classifyReply } from '../src/domains/replies/classify/index.js';
import { OfflineLlm } from '../src/adapters/llm/offline.js';
import {
  BLIND_3,
  LABELLED,
  type Scored,
  type Scores,
  score,
  toReply,
} from '../test/domains/replies/classify/labelled.js';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function summary(name: string, s: Scores): string {
  return `| ${name} | ${s.n} | ${pct(s.accuracy)} | ${pct(s.perLabel.unsubscribe.recall)} | ${pct(s.hot.precision)} | ${pct(s.hot.recall)} | ${s.returnDate.exact}/${s.returnDate.n} | ${s.referralEmail.exact}/${s.referralEmail.n} | ${s.bounceKind.exact}/${s.bounceKind.n} |`;
}

async function main() {
  const llm = new OfflineLlm();
  const results: Scored[] = [];
  const started = performance.now();
  for (const item of LABELLED) results.push({ item, got: await classifyReply(llm, toReply(item)) });
  const ms = performance.now() - started;
  const blind: Scored[] = [];
  for (const item of BLIND_3) blind.push({ item, got: await classifyReply(llm, toReply(item)) });

  const subsets: [string, Scored[]][] = [
    ['all', results],
    ['dev', results.filter((r) => r.item.split === 'dev')],
    ['held_out', results.filter((r) => r.item.split === 'held_out')],
    ['held_out, written after the rules', results.filter((r) => r.item.written_after_rules)],
    ['second blind batch', results.filter((r) => r.item.blind_batch === 2)],
    ['English', results.filter((r) => r.item.lang === 'en')],
    ['French', results.filter((r) => r.item.lang === 'fr')],
    ['held_out English', results.filter((r) => r.item.split === 'held_out' && r.item.lang === 'en')],
    ['held_out French', results.filter((r) => r.item.split === 'held_out' && r.item.lang === 'fr')],
    ['third blind batch (replies.blind-3.json)', blind],
    ['third blind batch, English', blind.filter((r) => r.item.lang === 'en')],
    ['third blind batch, French', blind.filter((r) => r.item.lang === 'fr')],
  ];
  console.log(
    '| subset | n | accuracy | unsubscribe recall | hot P | hot R | return_date exact | referral_email exact | bounce_kind exact |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [name, rs] of subsets) console.log(summary(name, score(rs)));

  for (const [name, rs] of [...subsets.slice(0, 3), subsets[9]!]) {
    const s = score(rs);
    console.log(`\nPer label, ${name} (precision / recall / support)\n`);
    console.log('| label | precision | recall | support |');
    console.log('| --- | --- | --- | --- |');
    for (const [label, v] of Object.entries(s.perLabel)) {
      console.log(`| ${label} | ${pct(v.precision)} | ${pct(v.recall)} | ${v.support} |`);
    }
  }
  console.log(
    `\n${results.length} replies classified in ${ms.toFixed(0)} ms (${(ms / results.length).toFixed(2)} ms each)`,
  );

  const errorsOf = process.argv.indexOf('--errors');
  if (errorsOf >= 0) {
    const split = process.argv[errorsOf + 1] ?? 'dev';
    console.log(`\nErrors on ${split}:`);
    const pool = split === 'blind' ? blind : results.filter((r) => split === 'all' || r.item.split === split);
    for (const { item, got } of pool) {
      const e = item.expected;
      const wrong: string[] = [];
      if (got.label !== e.label) wrong.push(`label ${got.label} != ${e.label}`);
      if (got.hot !== e.hot) wrong.push(`hot ${got.hot} != ${e.hot}`);
      if (got.return_date !== e.return_date) wrong.push(`date ${got.return_date} != ${e.return_date}`);
      if (got.referral_email !== e.referral_email) wrong.push(`ref ${got.referral_email} != ${e.referral_email}`);
      if (e.bounce_kind && got.bounce_kind !== e.bounce_kind) wrong.push(`kind ${got.bounce_kind} != ${e.bounce_kind}`);
      if (wrong.length)
        console.log(`${item.id} ${wrong.join('; ')} | ${got.reason} | ${JSON.stringify(item.text.slice(0, 110))}`);
    }
  }
}

await main();
