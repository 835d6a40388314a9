import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../src/logger.js';
import { classify, loadClassifier, producibleCodes, runClassifyCommand, OVERRIDE_FILE } from '../../src/ingest/index.js';
import { watchOverrideRules } from '../../src/ingest/classify-watch.js';
import { checkAlertRuleCodes, checkAlertRules } from '../../src/alerts/index.js';

const SHIPPED = fileURLToPath(new URL('../../alert-rules/', import.meta.url));
const shipped = loadClassifier(SHIPPED);

describe('classification precedence', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'syncwatch-precedence-'));
    writeFileSync(join(dir, 'classification.yaml'), 'rules:\n  - {name: any-429, category: endpoint, code: rate_limited, match: {http_status: [429]}}\n  - {name: lock, category: data, code: validation, match: {message: [lock]}}\n');
    mkdirSync(join(dir, 'vendors'));
    writeFileSync(join(dir, 'vendors', 'acme.yaml'), 'vendor: acme\nintegrations: [acme]\nrules:\n  - {name: lock, category: endpoint, code: unavailable, match: {message: [lock]}}\n');
    writeFileSync(join(dir, OVERRIDE_FILE), 'rules:\n  - {name: mine, category: data, code: quota, retryable: true, match: {message: [storage full]}}\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('an explicit category wins over every rule', () => {
    const c = classify({ category: 'infra', code: 'worker_oom', message: 'storage full', integration: 'acme' }, loadClassifier(dir));
    assert.deepEqual([c.category, c.code, c.rule], ['infra', 'worker_oom', 'explicit']);
  });
  it('the operator override wins over vendor and generic rules', () => {
    const c = classify({ message: 'lock held; storage full', integration: 'acme' }, loadClassifier(dir));
    assert.deepEqual([c.category, c.code, c.retryable, c.rule], ['data', 'quota', true, 'override:mine']);
  });
  it('a vendor rule wins over a generic one, only for its own integration', () => {
    const rules = loadClassifier(dir);
    assert.equal(classify({ message: 'row lock', integration: 'acme-eu' }, rules).rule, 'vendor:acme:lock');
    assert.equal(classify({ message: 'row lock', integration: 'globex' }, rules).rule, 'generic:lock');
  });
  it('no rule is infra · unknown, not retryable', () => {
    const c = classify({ message: 'something odd', integration: 'acme' }, loadClassifier(dir));
    assert.deepEqual([c.category, c.code, c.retryable, c.rule], ['infra', 'unknown', false, 'default:unknown']);
  });
  it('every code a rule produces is listed for rules check', () => {
    const codes = producibleCodes(loadClassifier(dir));
    for (const code of ['endpoint.rate_limited', 'data.validation', 'endpoint.unavailable', 'data.quota', 'infra.unknown']) assert.ok(codes.has(code), code);
  });
});

describe('context a runner sends', () => {
  it('ECONNREFUSED to the runner\'s own Redis on loopback is infra, to a partner address is endpoint', () => {
    assert.equal(classify({ errorType: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:6379' }, shipped).code, 'dependency');
    assert.equal(classify({ errorType: 'ECONNREFUSED', message: 'connect ECONNREFUSED 203.0.113.20:443' }, shipped).category, 'endpoint');
  });
  it('server.address on a private network is the runner\'s own dependency; a remote host is the endpoint', () => {
    const local = classify({ errorType: 'ETIMEDOUT', message: 'connect ETIMEDOUT', serverAddress: '10.20.0.15', outbound: true }, shipped);
    assert.deepEqual([local.category, local.code], ['infra', 'dependency']);
    assert.match(local.reason, /server\.address 10\.20\.0\.15 is loopback\/private/);
    const remote = classify({ message: 'timeout', url: 'https://api.hubapi.com/crm/v3/objects' }, shipped);
    assert.deepEqual([remote.category, remote.code], ['endpoint', 'timeout']);
  });
  it('a private address on a port that is not a store\'s stays undecided (a partner over a VPN, a local proxy)', () => {
    const partner = classify({ errorType: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.0.7:443', serverAddress: '10.0.0.7', attributes: { 'server.port': '443' } }, shipped);
    assert.deepEqual([partner.category, partner.code], ['endpoint', 'unavailable']);
    const redis = classify({ errorType: 'ECONNREFUSED', message: 'connect ECONNREFUSED', url: 'redis://10.0.0.9:6379' }, shipped);
    assert.deepEqual([redis.category, redis.code], ['infra', 'dependency']);
  });
  it('a status and codes inside a JSON error body count: Marketo 606 in a 200 is a rate limit', () => {
    const c = classify({ integration: 'marketo', httpStatus: 200, message: '{"success":false,"errors":[{"code":"606","message":"Max rate limit exceeded"}]}' }, shipped);
    assert.deepEqual([c.category, c.code, c.retryable, c.rule], ['endpoint', 'rate_limited', true, 'vendor:marketo:rate-and-quota']);
    assert.equal(classify({ message: '{"error":{"code":404,"message":"Requested entity was not found."}}' }, shipped).code, 'not_found');
  });
  it('Salesforce UNABLE_TO_LOCK_ROW is a retryable endpoint failure, not bad data', () => {
    const c = classify({ integration: 'salesforce', httpStatus: 400, message: '[{"errorCode":"UNABLE_TO_LOCK_ROW","message":"unable to obtain exclusive access to this record"}]' }, shipped);
    assert.deepEqual([c.category, c.code, c.retryable], ['endpoint', 'unavailable', true]);
  });
  it('a validation error is not retryable; a 503 is', () => {
    assert.equal(classify({ httpStatus: 422, message: 'email is required' }, shipped).retryable, false);
    assert.equal(classify({ httpStatus: 503 }, shipped).retryable, true);
  });
  it('an attribute can decide: Xero\'s rate-limit problem header', () => {
    assert.equal(classify({ integration: 'xero', httpStatus: 429, attributes: { 'x-rate-limit-problem': 'day' } }, shipped).rule, 'vendor:xero:rate-limit-header');
  });
});

describe('operator overrides are hot-reloaded', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'syncwatch-override-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a new override applies without a restart; a broken edit keeps the last good one', async () => {
    const rules = loadClassifier(dir);
    const stop = watchOverrideRules(dir, rules, createLogger('silent'), { debounceMs: 20 });
    try {
      const signals = { message: 'ledger frozen for period close' };
      assert.equal(classify(signals, rules).code, 'unknown');
      writeFileSync(join(dir, OVERRIDE_FILE), 'rules:\n  - {name: period-close, category: data, code: period_closed, match: {message: [period close]}}\n');
      await until(() => classify(signals, rules).code === 'period_closed');
      writeFileSync(join(dir, OVERRIDE_FILE), 'rules:\n  - {name: broken, category: nope}\n');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(classify(signals, rules).code, 'period_closed');
    } finally {
      stop();
    }
  });
});

describe('syncwatch classify and rules check', () => {
  it('prints category, code, retryable, rule and why', async () => {
    let out = '';
    const code = await runClassifyCommand({ integration: 'netsuite', code: 'SSS_REQUEST_LIMIT_EXCEEDED', message: 'Request limit exceeded' }, SHIPPED, { out: (t) => (out += t), err: () => {} });
    assert.equal(code, 0);
    assert.equal(out, 'endpoint · rate_limited\nretryable: yes\nrule: vendor:netsuite:limits\nwhy: error code sss_request_limit_exceeded\n');
  });
  it('bad input exits 2 with a message', async () => {
    let err = '';
    assert.equal(await runClassifyCommand({ status: 'abc' }, SHIPPED, { out: () => {}, err: (t) => (err += t) }), 2);
    assert.match(err, /http_status/);
  });
  it('the shipped alert rules only name codes the classification can produce', () => {
    const { rules, errors } = checkAlertRules(SHIPPED);
    assert.deepEqual(errors, []);
    assert.deepEqual(checkAlertRuleCodes(rules, producibleCodes(shipped)), []);
  });
  it('an alert rule whose match.code no classification rule produces is refused, at its line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncwatch-codes-'));
    try {
      writeFileSync(join(dir, 'ops.yaml'), 'rules:\n  - name: typo\n    kind: threshold\n    match:\n      category: endpoint\n      code: rate_limitted\n    threshold: 5%\n');
      const { rules } = checkAlertRules(dir);
      const errors = checkAlertRuleCodes(rules, producibleCodes(shipped));
      assert.equal(errors.length, 1);
      assert.equal(errors[0].line, 2);
      assert.match(errors[0].message, /rate_limitted.*no classification rule produces it/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 30));
  }
  assert.fail('condition not met within 3 s');
}
