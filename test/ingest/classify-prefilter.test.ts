import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RE2JS } from 're2js';
import { loadClassifier, type ClassificationRules } from '../../src/ingest/index.js';
import { mayMatch, requiredLiterals } from '../../src/ingest/classify-prefilter.js';
import { loadCorpus } from '../support/classification-corpus.js';

// The prefilter may only skip a pattern that cannot match: for every pattern list of the
// shipped rules and every text tried, "RE2 matches" implies "the prefilter lets it run".

interface ListLike { all: { test(t: string): boolean; source: string }; parts: { source: string }[]; literals: string[] | null }

function patternLists(rules: ClassificationRules): ListLike[] {
  const lists: ListLike[] = [];
  const visit = (o: unknown) => {
    if (Array.isArray(o)) o.forEach(visit);
    else if (o && typeof o === 'object') {
      if ('all' in o && 'parts' in o && 'literals' in o) lists.push(o as ListLike);
      else Object.values(o).forEach(visit);
    }
  };
  visit([rules.rules, rules.vendors, rules.overrides]);
  return lists;
}

/** The texts: corpus messages and codes, changed in case, cut, and run together. */
function texts(): string[] {
  const out = new Set<string>();
  for (const c of loadCorpus()) {
    for (const t of [c.signals.message, c.signals.errorType, c.signals.code, c.signals.integration]) {
      if (!t) continue;
      out.add(t);
      out.add(t.toUpperCase());
      out.add(t.toLowerCase());
      out.add(t.slice(0, Math.ceil(t.length / 2)));
      out.add(t.slice(Math.floor(t.length / 3)));
      out.add(`${t} (record ORD-1234)`);
    }
  }
  return [...out];
}

describe('classification prefilter', () => {
  test('required literals of typical patterns', () => {
    assert.deepEqual(requiredLiterals(['timed? ?out']), ['time']);
    assert.deepEqual(requiredLiterals(['connection (was )?(refused|reset|closed)']), ['connection ']);
    assert.deepEqual(requiredLiterals(['\\bqueue\\b', 'dead.?letter']), ['queue', 'letter']);
    assert.deepEqual(requiredLiterals(['ECONN|ETIMEDOUT']), ['econn', 'etimedout']);
    assert.deepEqual(requiredLiterals(['no queue \'[^\']*\' in vhost']), ['no queue \'']);
    assert.deepEqual(requiredLiterals(['ab\\.?c+d']), ['ab'], 'an optional escaped dot and a repeated c end the run');
    assert.equal(requiredLiterals(['^\\d+$']), null, 'no literal at all');
    assert.equal(requiredLiterals(['token', '\\p{Greek}']), null, 'one pattern without a literal: the list always runs');
    assert.equal(requiredLiterals(['a(b']), null, 'unbalanced: nothing assumed');
  });

  test('non-ASCII text always runs the pattern (RE2 folds ſ to s and K to k)', () => {
    assert.equal(mayMatch(['mismatch'], 'miſmatch'), true);
    assert.equal(mayMatch(['mismatch'], 'nothing here'), false);
    assert.equal(RE2JS.compile('mismatch', RE2JS.CASE_INSENSITIVE).matcher('miſmatch').find(), true, 'the case the ASCII check exists for');
  });

  test('never skips a pattern that matches: every shipped pattern list against every corpus text and variant', () => {
    const lists = patternLists(loadClassifier('alert-rules'));
    assert.ok(lists.length > 40, `found ${lists.length} pattern lists`);
    let matched = 0;
    let skipped = 0;
    for (const text of texts()) {
      for (const list of lists) {
        const may = mayMatch(list.literals, text);
        if (list.all.test(text)) {
          matched++;
          assert.ok(may, `${list.all.source} matches ${JSON.stringify(text)} but the prefilter (${JSON.stringify(list.literals)}) would skip it`);
        } else if (!may) skipped++;
      }
    }
    assert.ok(matched > 500, `${matched} matches checked`);
    assert.ok(skipped > matched, `the prefilter skips most non-matching runs (${skipped})`);
  });
});
