// Accuracy of failure classification on the corpus in test/fixtures/classification, per
// category and per vendor, for the train part (rules were written against it) and the
// held-out quarter (never looked at while writing rules: the honest figure). Also the cost
// of one classification. Results are appended to bench/RESULTS.md.
import { appendFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { classify, loadClassifier, type ClassificationRules } from '../src/ingest/index.js';
import { loadCorpus, type CorpusCase } from '../test/support/classification-corpus.js';

const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const RULES_DIR = fileURLToPath(new URL('../alert-rules/', import.meta.url));

const opts = new Command('bench:classify')
  .option('--note <text>', 'label for the RESULTS.md section (what changed)')
  .option('--no-write', 'print only; do not append to bench/RESULTS.md')
  .option('--misses', 'list the held-out misses too (after the rules are final)')
  .parse()
  .opts<{ note?: string; write: boolean; misses?: boolean }>();

interface Tally { n: number; category: number; exact: number }
const tally = (): Tally => ({ n: 0, category: 0, exact: 0 });
const pct = (k: number, n: number) => (n === 0 ? '–' : `${((100 * k) / n).toFixed(1)} %`);

function score(cases: CorpusCase[], rules: ClassificationRules, key: (c: CorpusCase) => string) {
  const groups = new Map<string, Tally>();
  const total = tally();
  const misses: string[] = [];
  for (const c of cases) {
    const got = classify(c.signals, rules);
    const t = groups.get(key(c)) ?? tally();
    groups.set(key(c), t);
    for (const x of [t, total]) {
      x.n++;
      if (got.category === c.category) x.category++;
      if (got.category === c.category && got.code === c.code) x.exact++;
    }
    if (got.category !== c.category || got.code !== c.code) misses.push(`${c.id}: expected ${c.category} · ${c.code}, got ${got.category} · ${got.code} (${got.rule})`);
  }
  return { groups: [...groups].sort(([a], [b]) => a.localeCompare(b)), total, misses };
}

function table(title: string, rows: [string, Tally][]): string {
  const head = `| ${title} | cases | category right | category and code right |\n| --- | ---: | ---: | ---: |\n`;
  return head + rows.map(([k, t]) => `| ${k} | ${t.n} | ${t.category} (${pct(t.category, t.n)}) | ${t.exact} (${pct(t.exact, t.n)}) |`).join('\n');
}

const rules = loadClassifier(RULES_DIR);
const corpus = loadCorpus();
let body = '';
for (const split of ['holdout', 'train'] as const) {
  const cases = corpus.filter((c) => c.split === split);
  const byCategory = score(cases, rules, (c) => c.category);
  const byVendor = score(cases, rules, (c) => (c.file === 'generic.yaml' ? '(client libraries, runtime, wording)' : c.integration));
  const label = split === 'holdout' ? 'Held-out quarter (not used to write rules)' : 'Train part (rules written against it)';
  body += `\n**${label}**: ${cases.length} cases, category right ${pct(byCategory.total.category, byCategory.total.n)}, category and code right ${pct(byCategory.total.exact, byCategory.total.n)}\n\n`;
  body += `${table('expected category', [...byCategory.groups, ['**all**', byCategory.total]])}\n\n${table('vendor', byVendor.groups)}\n`;
  if (split === 'holdout' && byCategory.misses.length > 0 && opts.misses) body += `\nHeld-out misses:\n\n${byCategory.misses.map((m) => `- ${m}`).join('\n')}\n`;
}

// Cost: each corpus case once under a fresh rule-base object (so nothing is remembered),
// then the same again under a warm one (a runner repeating one failure).
const costUs = (fresh: boolean): number => {
  const rounds = 50;
  const warm = { ...rules };
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) {
    const r = fresh ? { ...rules } : warm;
    for (const c of corpus) classify(c.signals, r);
  }
  return Number(process.hrtime.bigint() - t0) / 1000 / (rounds * corpus.length);
};
const cold = costUs(true);
const warm = costUs(false);
const [l1, l5, l15] = os.loadavg().map((x) => x.toFixed(2));
const env = `machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores; node ${process.version}; load average ${l1} / ${l5} / ${l15}; ${new Date().toISOString()}`;
const section = `\n### ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — classification accuracy: \`npx tsx bench/classify.ts\`${opts.note ? ` (${opts.note})` : ''}\n\n${env}. Corpus: ${corpus.length} error shapes in test/fixtures/classification (see its README for provenance); rules: alert-rules/classification.yaml + ${rules.vendors.length} vendor files. One classification costs ${cold.toFixed(1)} µs on average over the corpus when decided, ${warm.toFixed(2)} µs when the same signals were seen before (only failed rows are classified).\n${body}`;
process.stdout.write(section);
if (opts.write) appendFileSync(RESULTS, section);
