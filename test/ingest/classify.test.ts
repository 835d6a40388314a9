import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  classifyFailure,
  defaultClassificationFile,
  loadClassificationRules,
  type ClassificationRules,
} from '../../src/ingest/classify.js';
import type { FailureSignals } from '../../src/ingest/types.js';

const rules: ClassificationRules = loadClassificationRules(defaultClassificationFile());

/** One row of the table in docs/architecture.md#failure-categories: given these signals, expect category · code. */
function expectClass(signals: FailureSignals, category: string, code: string): void {
  const failure = classifyFailure(signals, rules);
  assert.deepEqual(
    { category: failure.category, code: failure.code },
    { category, code },
    `signals ${JSON.stringify(signals)}`,
  );
}

describe('default failure classification (docs/architecture.md#failure-categories)', () => {
  describe('endpoint', () => {
    it('HTTP 429 is rate_limited', () => expectClass({ httpStatus: 429 }, 'endpoint', 'rate_limited'));
    it('a Retry-After is rate_limited, even on a 503', () =>
      expectClass({ httpStatus: 503, retryAfter: true }, 'endpoint', 'rate_limited'));
    it('HTTP 401 is auth', () => expectClass({ httpStatus: 401 }, 'endpoint', 'auth'));
    it('HTTP 403 is auth', () => expectClass({ httpStatus: 403 }, 'endpoint', 'auth'));
    it('an OAuth invalid_grant message is auth', () =>
      expectClass({ message: 'refresh failed: invalid_grant (expired or revoked refresh token)' }, 'endpoint', 'auth'));
    it('"token expired" is auth', () =>
      expectClass({ message: 'Access token expired at 10:02' }, 'endpoint', 'auth'));
    it('a revoked token is auth', () =>
      expectClass({ message: 'The OAuth token has been revoked by the user' }, 'endpoint', 'auth'));
    it('HTTP 500 is unavailable', () => expectClass({ httpStatus: 500 }, 'endpoint', 'unavailable'));
    it('HTTP 502 is unavailable', () => expectClass({ httpStatus: 502 }, 'endpoint', 'unavailable'));
    it('HTTP 503 is unavailable', () => expectClass({ httpStatus: 503 }, 'endpoint', 'unavailable'));
    it('HTTP 504 is unavailable', () => expectClass({ httpStatus: 504, outbound: true }, 'endpoint', 'unavailable'));
    it('ECONNREFUSED is unavailable', () =>
      expectClass({ errorType: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.0.7:443' }, 'endpoint', 'unavailable'));
    it('ECONNRESET is unavailable', () =>
      expectClass({ errorType: 'ECONNRESET', message: 'read ECONNRESET' }, 'endpoint', 'unavailable'));
    it('a DNS failure (ENOTFOUND) is unavailable', () =>
      expectClass({ errorType: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND acme.my.salesforce.com' }, 'endpoint', 'unavailable'));
    it('a connection error known only by its message is unavailable', () =>
      expectClass({ message: 'connect ECONNREFUSED 127.0.0.1:8080' }, 'endpoint', 'unavailable'));
    it('a timeout on an outbound call is endpoint timeout', () =>
      expectClass({ errorType: 'TimeoutError', message: 'request timed out after 30000ms', outbound: true }, 'endpoint', 'timeout'));
  });

  describe('data', () => {
    it('HTTP 400 is validation', () => expectClass({ httpStatus: 400 }, 'data', 'validation'));
    it('HTTP 409 is conflict', () => expectClass({ httpStatus: 409 }, 'data', 'conflict'));
    it('HTTP 422 is validation', () => expectClass({ httpStatus: 422 }, 'data', 'validation'));
    it('"email is required" is validation', () => expectClass({ message: 'email is required' }, 'data', 'validation'));
    it('a schema message is validation', () =>
      expectClass({ message: 'record does not match schema: amount must be a number' }, 'data', 'validation'));
    it('a mapping message is mapping', () =>
      expectClass({ message: 'no mapping for product family "Legacy"' }, 'data', 'mapping'));
    it('a duplicate message is conflict', () =>
      expectClass({ message: 'DUPLICATE_VALUE: duplicate value found: External_Id__c' }, 'data', 'conflict'));
    it('a 400 that says duplicate is conflict', () =>
      expectClass({ httpStatus: 400, message: 'duplicate invoice number INV-7' }, 'data', 'conflict'));
  });

  describe('infra', () => {
    it('"JavaScript heap out of memory" is resources', () =>
      expectClass({ message: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory' }, 'infra', 'resources'));
    it('ENOMEM is resources', () =>
      expectClass({ errorType: 'ENOMEM', message: 'spawn ENOMEM' }, 'infra', 'resources'));
    it('exit code 137 is resources', () => expectClass({ exitCode: 137 }, 'infra', 'resources'));
    it('disk full (ENOSPC) is resources', () =>
      expectClass({ errorType: 'ENOSPC', message: 'ENOSPC: no space left on device, write' }, 'infra', 'resources'));
    it('a crash is crash', () => expectClass({ message: 'worker crashed unexpectedly' }, 'infra', 'crash'));
    it('a segfault is crash', () => expectClass({ message: 'Segmentation fault (core dumped)' }, 'infra', 'crash'));
    it('an unhandled rejection is crash', () =>
      expectClass({ message: 'Unhandled promise rejection in worker' }, 'infra', 'crash'));
    it('a runner timeout not on an outbound call is infra timeout', () =>
      expectClass({ errorType: 'TimeoutError', message: 'run exceeded its 15 minute time limit' }, 'infra', 'timeout'));
    it('a timeout marked as not outbound is infra timeout', () =>
      expectClass({ message: 'job timed out', outbound: false }, 'infra', 'timeout'));
    it('a queue error is queue', () =>
      expectClass({ message: 'failed to publish to queue sync-jobs: connection closed' }, 'infra', 'queue'));
    it('anything else is unknown', () => expectClass({ message: 'something odd happened' }, 'infra', 'unknown'));
    it('no signals at all is unknown', () => expectClass({}, 'infra', 'unknown'));
  });

  describe('explicit classification', () => {
    it('an explicit category wins over an HTTP status, keeping its code and message', () => {
      const failure = classifyFailure(
        { category: 'data', code: 'validation', message: 'email is required', httpStatus: 503 },
        rules,
      );
      assert.deepEqual(failure, { category: 'data', code: 'validation', message: 'email is required' });
    });
    it('an explicit category without a code gets code "unspecified"', () =>
      expectClass({ category: 'endpoint', httpStatus: 422 }, 'endpoint', 'unspecified'));
    it('an invalid explicit category is ignored and the rules decide', () =>
      expectClass({ category: 'network', httpStatus: 429 }, 'endpoint', 'rate_limited'));
    it('the message is carried through, empty when absent', () => {
      assert.equal(classifyFailure({ httpStatus: 500, message: 'boom' }, rules).message, 'boom');
      assert.equal(classifyFailure({ httpStatus: 500 }, rules).message, '');
    });
  });
});

describe('loading classification rules', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'syncwatch-classify-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function loadError(name: string, yaml: string): string {
    const file = join(dir, name);
    writeFileSync(file, yaml);
    try {
      loadClassificationRules(file);
    } catch (err) {
      return (err as Error).message;
    }
    assert.fail(`expected ${name} to be rejected`);
  }

  const goodRule = 'rules:\n  - name: ok\n    category: data\n    code: validation\n    match:\n      http_status: [400]\n';

  it('the default file path points at alert-rules/classification.yaml', () => {
    assert.match(defaultClassificationFile(), /alert-rules[/\\]classification\.yaml$/);
  });

  it('a custom file is used in its own order', () => {
    const file = join(dir, 'custom.yaml');
    writeFileSync(file, goodRule.replace('[400]', '["400-499"]'));
    const custom = loadClassificationRules(file);
    assert.equal(classifyFailure({ httpStatus: 429 }, custom).code, 'validation');
    assert.equal(classifyFailure({ httpStatus: 500 }, custom).code, 'unknown');
  });

  it('an unknown category names the file and the line of the rule', () => {
    const message = loadError('bad-category.yaml', `${goodRule}  - name: second\n    category: network\n    code: x\n    match:\n      retry_after: true\n`);
    assert.ok(message.startsWith(`${join(dir, 'bad-category.yaml')}:8:`), message);
    assert.match(message, /rule 2 \("second"\) category/);
  });

  it('a misspelt match field names its line', () => {
    const message = loadError('typo.yaml', goodRule.replace('http_status', 'http_stauts'));
    assert.ok(message.startsWith(`${join(dir, 'typo.yaml')}:6:`), message);
    assert.match(message, /http_stauts/);
  });

  it('an invalid regex names its line', () => {
    const message = loadError('regex.yaml', goodRule.replace('http_status: [400]', "message: ['(unclosed']"));
    assert.ok(message.startsWith(`${join(dir, 'regex.yaml')}:6:`), message);
    assert.match(message, /invalid regex/);
  });

  it('a missing code names the line of the rule', () => {
    const message = loadError('no-code.yaml', goodRule.replace('    code: validation\n', ''));
    assert.ok(message.startsWith(`${join(dir, 'no-code.yaml')}:2:`), message);
    assert.match(message, /missing required field "code"/);
  });

  it('an empty match block is rejected', () => {
    const message = loadError('empty.yaml', goodRule.replace('\n      http_status: [400]', ' {}'));
    assert.ok(message.startsWith(`${join(dir, 'empty.yaml')}:5:`), message);
  });

  it('broken YAML names the file and line', () => {
    const message = loadError('syntax.yaml', goodRule.replace('    code: validation', '   code: validation'));
    assert.ok(message.startsWith(`${join(dir, 'syntax.yaml')}:4: invalid YAML`), message);
  });
});
