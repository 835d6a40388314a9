import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { AccessSigner, Links, loadLinkSecret } from '../../src/links.js';

const clock = new ManualClock(Date.UTC(2026, 10, 22, 12, 0));
const signer = new AccessSigner(Buffer.from('a-secret-of-at-least-16-chars'));

describe('signed page access', () => {
  test('a token carries its role, tenants and expiry, and verifies until it expires', () => {
    const token = signer.sign({ role: 'tenant', tenants: ['acme'], expiresAt: clock.now() + 3_600_000 });
    assert.deepEqual(signer.verify(token, clock.now()), { role: 'tenant', tenants: ['acme'], expiresAt: clock.now() + 3_600_000 });
    assert.equal(signer.verify(token, clock.now() + 3_600_000), null, 'expired at its expiry');
  });

  test('a token changed in any way, or signed with another secret, is refused', () => {
    const token = signer.sign({ role: 'tenant', tenants: ['acme'], expiresAt: clock.now() + 3_600_000 });
    const [payload, mac] = token.split('.');
    const widened = Buffer.from(JSON.stringify({ r: 'admin', t: null, e: Math.floor(clock.now() / 1000) + 3600 })).toString('base64url');
    const other = new AccessSigner(Buffer.from('another-secret-of-16-chars'));
    for (const forged of [
      `${widened}.${mac}`,
      `${payload}.${mac.slice(0, -2)}AA`,
      `${payload}.`,
      payload,
      `${token}.extra`,
      other.sign({ role: 'admin', tenants: null, expiresAt: clock.now() + 3_600_000 }),
      '',
      'not a token',
    ]) {
      assert.equal(signer.verify(forged, clock.now()), null, `refused: ${forged}`);
    }
  });

  test('links for a tenant are signed for that tenant only; unsigned links carry no token', () => {
    const links = new Links('https://watch.example.com', signer, clock);
    const status = new URL(links.statusPage('acme & co'));
    assert.equal(status.pathname, '/status/acme%20%26%20co');
    assert.deepEqual(signer.verify(status.searchParams.get('access')!, clock.now())?.tenants, ['acme & co']);
    const report = new URL(links.valueReport('acme', { period: '2026-10' }));
    assert.equal(report.pathname, '/reports/acme');
    assert.equal(report.searchParams.get('period'), '2026-10');
    assert.ok(report.searchParams.get('access'));
    assert.equal(links.runReport('acme', 'run/1', { signed: false }), 'https://watch.example.com/status/acme/runs/run%2F1');
  });

  test('the generated secret is kept in the data dir (readable by its owner only) and reused', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-links-'));
    try {
      const first = loadLinkSecret(undefined, dir);
      assert.equal(first.length, 32);
      assert.equal(statSync(path.join(dir, 'link-secret')).mode & 0o077, 0, 'no group/other access');
      assert.deepEqual(loadLinkSecret(undefined, dir), first, 'the same secret after a restart');
      assert.deepEqual(loadLinkSecret('configured-secret-123', dir), Buffer.from('configured-secret-123'));
      assert.ok(readFileSync(path.join(dir, 'link-secret'), 'utf8').trim().length > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
