import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

/** Runs `fn` with a YAML config file holding `yaml`. */
function withConfigFile(yaml: string, fn: (file: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-config-'));
  try {
    const file = path.join(dir, 'syncwatch.yaml');
    writeFileSync(file, yaml);
    fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('configuration of page access', () => {
  test('a tenant key must name its tenants (else it could open no page and would sign in to nothing)', () => {
    withConfigFile('keys:\n  - { key: "tenant-key-1234567890", role: tenant }\n', (file) => {
      assert.throws(() => loadConfig({ SYNCWATCH_CONFIG: file }), (err: Error) => err instanceof ConfigError && /keys\.0\.tenants: a tenant key must list its tenants/.test(err.message));
    });
    withConfigFile('keys:\n  - { key: "tenant-key-1234567890", role: tenant, tenants: [acme] }\n', (file) => {
      assert.deepEqual(loadConfig({ SYNCWATCH_CONFIG: file }).keys, [{ key: 'tenant-key-1234567890', role: 'tenant', tenants: ['acme'] }]);
    });
  });

  test('SYNCWATCH_LINK_SECRET is optional, and when set must be long enough to sign with', () => {
    assert.equal(loadConfig({}).linkSecret, undefined);
    assert.equal(loadConfig({ SYNCWATCH_LINK_SECRET: 'a-long-enough-secret' }).linkSecret, 'a-long-enough-secret');
    assert.throws(() => loadConfig({ SYNCWATCH_LINK_SECRET: 'short' }), /SYNCWATCH_LINK_SECRET: must be at least 16 characters/);
  });
});
