import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { deleteEventRows, type Driver } from '../../src/store/index.js';
import { startTestService, type TestService } from '../support/service.js';

// Statements with bound values reach the store through the service's (timed) driver, and
// the quarantine's DELETE names the shards' local table on a cluster — the engine's own
// parser accepts the statement it sends there.

let svc: TestService;
before(async () => {
  svc = await startTestService();
});
after(async () => svc.stop());

test("the service's driver passes a command's bound values to the store", async () => {
  await svc.driver.command('CREATE TABLE command_params (x UInt8, s String) ENGINE = Memory');
  await svc.driver.command('INSERT INTO command_params VALUES ({x:UInt8}, {s:String})', { x: 7, s: 'bound' });
  const rows = await svc.driver.query({ name: 't', sql: 'SELECT x, s FROM command_params', schema: z.object({ x: z.coerce.number(), s: z.string() }) });
  assert.deepEqual(rows, [{ x: 7, s: 'bound' }]);
});

test('on a cluster, quarantined rows are deleted from every shard\'s local table, in a statement the engine parses', async () => {
  const sent: string[] = [];
  const recording = { kind: 'remote', cluster: 'syncwatch_cluster', command: async (sql: string) => void sent.push(sql) } as unknown as Driver;
  await deleteEventRows(recording, [{ tenant: 'acme', event_id: 'e-1' }]);
  assert.equal(sent.length, 1);
  assert.match(sent[0], /^DELETE FROM events_local ON CLUSTER syncwatch_cluster WHERE/);
  const [{ f }] = await svc.driver.query({ name: 'formatQuery', sql: 'SELECT formatQuery({q:String}) AS f', params: { q: sent[0] }, schema: z.object({ f: z.string() }) });
  assert.match(f, /ON CLUSTER syncwatch_cluster/);

  const single: string[] = [];
  await deleteEventRows({ kind: 'embedded', command: async (sql: string) => void single.push(sql) } as unknown as Driver, [{ tenant: 'acme', event_id: 'e-1' }]);
  assert.match(single[0], /^DELETE FROM events WHERE/);
});
