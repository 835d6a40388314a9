import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import { AlertRulesError, checkAlertRules, loadAlertRules, watchAlertRules, type AlertRule } from '../../src/alerts/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHIPPED = path.join(ROOT, 'alert-rules');
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A temp rules directory holding these files (and the shipped classification.yaml, like a real one). */
function rulesDir(files: Record<string, string>, withClassification = true): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-rules-'));
  dirs.push(dir);
  if (withClassification) copyFileSync(path.join(SHIPPED, 'classification.yaml'), path.join(dir, 'classification.yaml'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

function loadError(files: Record<string, string>): AlertRulesError {
  const dir = rulesDir(files);
  try {
    loadAlertRules(dir);
  } catch (err) {
    assert.ok(err instanceof AlertRulesError, String(err));
    return err;
  }
  assert.fail('the rules loaded');
}

const byName = (rules: AlertRule[], name: string) => {
  const rule = rules.find((r) => r.name === name);
  assert.ok(rule, `no rule ${name}`);
  return rule;
};

describe('the shipped rule set', () => {
  const rules = loadAlertRules(SHIPPED);

  test('covers every situation of the issue, each with a rule of the right kind', () => {
    const kinds = Object.fromEntries(rules.map((r) => [r.name, r.kind]));
    assert.deepEqual(kinds, {
      'partner-endpoint-outage': 'threshold',
      'partner-incident': 'partner_incident',
      'rate-limited-sustained': 'threshold',
      'consecutive-failed-runs': 'consecutive_failed_runs',
      'infrastructure-failure': 'threshold',
      'volume-drop': 'volume_drop',
      'high-value-record': 'event',
      'data-failures': 'threshold',
      'endpoint-auth-failures': 'threshold',
      'stale-connection': 'stale',
      'auth-expiring': 'event',
      'auth-expired': 'event',
    });
  });

  test('audiences follow the cause: data → tenant, endpoint → operator, auth → tenant only, infra → operator', () => {
    assert.deepEqual(byName(rules, 'data-failures').audience, ['tenant']);
    assert.deepEqual(byName(rules, 'partner-endpoint-outage').audience, ['operator']);
    assert.deepEqual(byName(rules, 'rate-limited-sustained').audience, ['operator']);
    assert.deepEqual(byName(rules, 'infrastructure-failure').audience, ['operator']);
    assert.deepEqual(byName(rules, 'auth-expired').audience, ['tenant']);
    assert.deepEqual(byName(rules, 'auth-expiring').audience, ['tenant']);
    assert.deepEqual(byName(rules, 'endpoint-auth-failures').audience, ['tenant']);
    assert.equal(byName(rules, 'auth-expired').action, 'Re-authorise the {{integration}} connection in the integration settings.');
  });

  test('the high-value success notification is opt-in, the auth horizon is 7 days, staleness is 2× cadence', () => {
    const highValue = byName(rules, 'high-value-record');
    assert.equal(highValue.enabled, false);
    assert.ok(highValue.kind === 'event' && highValue.minValue === 10_000 && highValue.oneShot);
    const expiring = byName(rules, 'auth-expiring');
    assert.ok(expiring.kind === 'event' && expiring.horizonMs === 7 * 86_400_000);
    const stale = byName(rules, 'stale-connection');
    assert.ok(stale.kind === 'stale' && stale.factor === 2);
  });
});

describe('rule files', () => {
  test('defaults: severity, hold-downs, group_by, labels and audience from the category', () => {
    const dir = rulesDir({
      'a.yaml': `rules:
  - name: infra-any
    kind: threshold
    match: { category: infra }
    threshold: 5%
  - name: late
    kind: stale
`,
    });
    const [infra, late] = loadAlertRules(dir);
    assert.ok(infra.kind === 'threshold');
    assert.equal(infra.severity, 'warning');
    assert.equal(infra.category, 'infra');
    assert.equal(infra.code, 'failures');
    assert.deepEqual(infra.audience, ['operator']);
    assert.deepEqual(infra.groupBy, ['tenant', 'integration', 'flow']);
    assert.equal(infra.threshold, 0.05);
    assert.equal(infra.windowMs, 15 * 60_000);
    assert.equal(infra.forMs, 0);
    assert.equal(infra.resolveAfterMs, 5 * 60_000);
    assert.deepEqual(infra.source, { file: path.join(dir, 'a.yaml'), line: 2 });
    assert.equal(late.category, 'health');
    assert.equal(late.code, 'stale');
  });

  test('classification.yaml shares the directory but is not read as alert rules', () => {
    const dir = rulesDir({ 'mine.yaml': 'rules:\n  - name: only\n    kind: stale\n' });
    const check = checkAlertRules(dir);
    assert.deepEqual(check.errors, []);
    assert.deepEqual(check.files, [path.join(dir, 'mine.yaml')]);
    assert.deepEqual(check.rules.map((r) => r.name), ['only']);
  });

  test('an unknown field names the file and its line', () => {
    const err = loadError({ 'typo.yaml': 'rules:\n  - name: outage\n    kind: threshold\n    threshold: 50%\n    category: endpoint\n    windw: 10m\n' });
    assert.equal(err.errors.length, 1);
    assert.match(err.message, /typo\.yaml:6: rule 1 \("outage"\)/);
    assert.match(err.message, /windw/);
  });

  test('a bad duration, a bad percentage and an unknown kind each name their line, all in one report', () => {
    const err = loadError({
      'bad.yaml': `rules:
  - name: one
    kind: threshold
    category: data
    threshold: 1
    window: 5 minutes
  - name: two
    kind: threshold
    category: endpoint
    threshold: 150%
  - name: three
    kind: sometimes
`,
    });
    const lines = err.message.split('\n');
    assert.equal(lines.length, 3, err.message);
    assert.match(lines[0], /bad\.yaml:6: rule 1 \("one"\) window: invalid duration "5 minutes"/);
    assert.match(lines[1], /bad\.yaml:10: rule 2 \("two"\) threshold: invalid fraction "150%"/);
    assert.match(lines[2], /bad\.yaml:12: rule 3 \("three"\) kind: unknown kind "sometimes"/);
  });

  test('a missing required field names the line of its rule', () => {
    const err = loadError({ 'm.yaml': 'rules:\n  - kind: stale\n  - name: drop\n    kind: volume_drop\n' });
    assert.match(err.message, /m\.yaml:2: rule 1 name: missing required field "name"/);
    assert.match(err.message, /m\.yaml:3: rule 2 \("drop"\) drop: missing required field "drop"/);
  });

  test('an unknown placeholder in a summary is refused at load, not rendered empty later', () => {
    const err = loadError({ 'p.yaml': 'rules:\n  - name: s\n    kind: stale\n    summary: "stale for {{sinse}}"\n' });
    assert.match(err.message, /p\.yaml:4: rule 1 \("s"\) summary: unknown placeholder \{\{sinse\}\}/);
  });

  test('options that do not fit the event are refused', () => {
    const err = loadError({ 'e.yaml': 'rules:\n  - name: e\n    kind: event\n    event: auth.expired\n    min_value: 10\n' });
    assert.match(err.message, /e\.yaml:5: .*min_value applies only to record events/);
  });

  test('rule names are unique across files', () => {
    const err = loadError({ 'a.yaml': 'rules:\n  - name: same\n    kind: stale\n', 'b.yaml': 'rules:\n\n  - name: same\n    kind: stale\n' });
    assert.match(err.message, /b\.yaml:3: duplicate rule name "same" \(first defined at .*a\.yaml:2\)/);
  });

  test('broken YAML names the file and line', () => {
    const err = loadError({ 's.yaml': 'rules:\n  - name: x\n    kind: stale\n    summary: "unterminated\n' });
    assert.match(err.message, /s\.yaml:\d+: invalid YAML/);
  });
});

describe('hot reload', () => {
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  test('picks up a change, keeps the last good rules on a broken edit, and reports the error', async () => {
    const dir = rulesDir({ 'r.yaml': 'rules:\n  - name: first\n    kind: stale\n' });
    const changes: string[][] = [];
    const errors: Error[] = [];
    const watcher = watchAlertRules(dir, (rules) => changes.push(rules.map((r) => r.name)), (err) => errors.push(err), { debounceMs: 50 });
    try {
      assert.deepEqual(watcher.rules.map((r) => r.name), ['first']);

      writeFileSync(path.join(dir, 'r.yaml'), 'rules:\n  - name: first\n    kind: stale\n  - name: second\n    kind: consecutive_failed_runs\n');
      for (let i = 0; i < 100 && changes.length === 0; i++) await wait(20);
      assert.deepEqual(changes, [['first', 'second']]);
      assert.deepEqual(watcher.rules.map((r) => r.name), ['first', 'second']);

      writeFileSync(path.join(dir, 'r.yaml'), 'rules:\n  - name: first\n    kind: stale\n    factor: -1\n');
      for (let i = 0; i < 100 && errors.length === 0; i++) await wait(20);
      assert.equal(errors.length >= 1, true);
      assert.match(errors[0].message, /r\.yaml:4: rule 1 \("first"\) factor/);
      assert.deepEqual(watcher.rules.map((r) => r.name), ['first', 'second'], 'the last good rules stay in force');
      assert.equal(changes.length, 1);
    } finally {
      watcher.close();
    }
  });

  test('a directory that is broken at start is refused outright', () => {
    const dir = rulesDir({ 'r.yaml': 'rules:\n  - name: x\n' });
    assert.throws(() => watchAlertRules(dir, () => {}, () => {}), AlertRulesError);
  });
});

describe('syncwatch rules check', () => {
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, [path.join(ROOT, 'bin/syncwatch.js'), ...args], { cwd: ROOT }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );

  test('passes the shipped rules', async () => {
    const { code, stdout } = await run(['rules', 'check', SHIPPED]);
    assert.equal(code, 0);
    assert.match(stdout, /^ok: 12 rules in 3 files$/m);
  });

  test('rejects a broken file with file:line and a non-zero exit', async () => {
    const dir = rulesDir({ 'good.yaml': 'rules:\n  - name: ok\n    kind: stale\n', 'broken.yaml': 'rules:\n  - name: outage\n    kind: threshold\n    category: endpoint\n    threshold: 50%\n    window: soon\n' });
    const { code, stdout, stderr } = await run(['rules', 'check', dir]);
    assert.notEqual(code, 0);
    assert.equal(stdout, '');
    assert.match(stderr, new RegExp(`^${path.join(dir, 'broken.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6: rule 1 \\("outage"\\) window: invalid duration "soon"`, 'm'));
  });
});
