import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { after, before, test } from 'node:test';
import type { Silence } from '../../src/alerts/silences.js';
import { startTestService, type TestService } from '../support/service.js';

// Issue 9, finding 4: `tenant =~ (a+)+b` against a 30-character tenant name blocked the
// event loop for 30 s (JavaScript's RegExp backtracks exponentially; tenant names are
// chosen by whoever holds an ingest key). Silences now match with RE2 (re2js).
let svc: TestService;
before(async () => {
  svc = await startTestService();
});
after(async () => svc.stop());

/** findSilence in a worker: its answer, or a failure if it has not answered within the (generous) guard. */
function matchInWorker(tenant: string, silence: Silence): Promise<string | null> {
  // Workers do not inherit tsx's loader: the worker registers it, then loads the TypeScript.
  const script = new URL('./silence-match-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(script)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: { tenant, silence } });
  return new Promise<string | null>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error('findSilence did not answer within 60 s: the pattern backtracks')), 60_000);
    worker.once('message', (id: string | null) => resolve(id));
    worker.once('error', reject);
    worker.once('exit', () => clearTimeout(guard));
  }).finally(() => worker.terminate());
}

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
  assert.equal(await matchInWorker('a'.repeat(30), silence), null, 'thirty a’s do not end in b');
  assert.equal(await matchInWorker(`${'a'.repeat(30)}b`, silence), created.id);
  assert.equal(await matchInWorker('aab-extra', silence), null, 'the pattern is anchored at both ends');
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
