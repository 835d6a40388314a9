import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { findSilence, type Silence } from '../../src/alerts/silences.js';
import { startTestService, type TestService } from '../support/service.js';

// Issue 9, finding 4: `tenant =~ (a+)+b` against a 30-character tenant name blocked the
// event loop for 30 s (JavaScript's RegExp backtracks exponentially; tenant names are
// chosen by whoever holds an ingest key). Silences now match with RE2 (re2js).
let svc: TestService;
before(async () => {
  svc = await startTestService();
});
after(async () => svc.stop());

const labels = (tenant: string) => ({ rule: 'r', severity: 'critical', category: 'data', code: 'c', audience: ['ops'], tenant, integration: 'i', flow: 'f' });

/** The id of the silence that holds for an alert of `tenant`, if it does. (With RegExp this call hung for minutes.) */
const matchTenant = (tenant: string, silence: Silence) => findSilence({ labels: labels(tenant) } as never, [silence], silence.startsAt + 1)?.id ?? null;

test('a silence with a catastrophic-backtracking pattern is accepted and matches by RE2 semantics', async () => {
  const res = await fetch(`${svc.url}/v1/silences`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ matchers: [{ label: 'tenant', op: '=~', value: '(a+)+b' }], ends_at: new Date(Date.now() + 3_600_000).toISOString() }),
  });
  assert.equal(res.status, 201);
  const created = (await res.json()) as { id: string; starts_at: string; ends_at: string };
  const silence: Silence = {
    id: created.id,
    matchers: [{ label: 'tenant', op: '=~', value: '(a+)+b' }],
    startsAt: Date.parse(created.starts_at),
    endsAt: Date.parse(created.ends_at),
    createdBy: '',
    comment: '',
    createdAt: Date.parse(created.starts_at),
  };
  assert.equal(matchTenant('a'.repeat(30), silence), null, 'thirty a’s do not end in b');
  assert.equal(matchTenant(`${'a'.repeat(30)}b`, silence), created.id);
  assert.equal(matchTenant('aab-extra', silence), null, 'the pattern is anchored at both ends');
});

test('patterns RE2 cannot run in linear time (backreferences, lookarounds) are refused with a 400 naming the matcher', async () => {
  for (const value of ['(a)\\1', '(?=a)a']) {
    const res = await fetch(`${svc.url}/v1/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ matchers: [{ label: 'tenant', op: '=~', value }], ends_at: new Date(Date.now() + 3_600_000).toISOString() }),
    });
    assert.equal(res.status, 400, value);
    const body = (await res.json()) as { error: { message: string } };
    assert.match(body.error.message, /^matchers\.0\.value: not a valid regular expression/);
  }
});
