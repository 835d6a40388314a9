import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadAlertRules } from '../../src/alerts/index.js';
import { streamingRules } from '../support/rule-fixture.js';

// The streaming rules fixture is read by test/alerts/streaming.test.ts and by bench/alerts.ts,
// which no test runs: the whole file must stay a valid rules file, and a reader gets the rules
// it names and no others.

const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-rule-fixture-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('every rule of the streaming fixture loads', () => {
  const fixtureDir = fileURLToPath(new URL('../fixtures/alert-rules/', import.meta.url));
  const names = loadAlertRules(fixtureDir).map((r) => r.name);
  assert.deepEqual(names.sort(), ['auth-expired', 'consecutive-failed-runs', 'data-failures', 'endpoint-failure-rate', 'out-of-memory', 'runs-failing']);
});

test('a reader loads the rules it names, in that order, as the fixture defines them', () => {
  writeFileSync(path.join(dir, 'rules.yaml'), streamingRules('consecutive-failed-runs', 'data-failures'));
  const rules = loadAlertRules(dir);
  assert.deepEqual(rules.map((r) => r.name), ['consecutive-failed-runs', 'data-failures']);
  const [runs, data] = rules;
  assert.equal(runs.kind === 'consecutive_failed_runs' && runs.runs, 3);
  assert.deepEqual(runs.audience, ['tenant']);
  assert.equal(data.kind === 'threshold' && data.threshold, 3);
  assert.equal(data.kind === 'threshold' && data.windowMs, 15 * 60_000);
});

test('a name the fixture lacks is an error, not an empty rule set', () => {
  assert.throws(() => streamingRules('data-failures', 'no-such-rule'), /no rule named no-such-rule/);
});
