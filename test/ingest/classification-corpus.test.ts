// Every error shape of test/fixtures/classification against the shipped rules. The
// category (who can act) is asserted for every case; the code too for the train part, the
// held-out part's codes are measured by bench/classify.ts instead (it is the honest
// figure, and it is not tuned to pass here).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { classify, loadClassifier } from '../../src/ingest/index.js';
import { loadCorpus } from '../support/classification-corpus.js';

const rules = loadClassifier(fileURLToPath(new URL('../../alert-rules/', import.meta.url)));
const corpus = loadCorpus();

describe('classification corpus', () => {
  it('holds at least 250 shapes, each with a source, about a quarter held out', () => {
    assert.ok(corpus.length >= 250, `${corpus.length} cases`);
    for (const c of corpus) assert.ok(c.source, `${c.id} has no source`);
    const holdout = corpus.filter((c) => c.split === 'holdout').length;
    assert.equal(holdout, Math.ceil(corpus.length / 4));
  });

  it('covers at least 20 vendors with rule files of their own', () => {
    assert.ok(rules.vendors.length >= 20, `${rules.vendors.length} vendor files`);
    const covered = new Set(corpus.filter((c) => c.file !== 'generic.yaml').map((c) => rules.vendors.find((v) => v.integrations.some((re) => re.test(c.integration)))?.vendor));
    assert.ok(covered.size >= 20, `${covered.size} vendors covered by corpus cases`);
  });

  for (const c of corpus) {
    it(`${c.id} (${c.split}) is ${c.category}${c.split === 'train' ? ` · ${c.code}` : ''}`, () => {
      const got = classify(c.signals, rules);
      if (c.split === 'train') assert.deepEqual(`${got.category} · ${got.code}`, `${c.category} · ${c.code}`, `rule ${got.rule}`);
      else assert.equal(got.category, c.category, `rule ${got.rule}`);
    });
  }
});
