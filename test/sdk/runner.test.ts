import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { startTestService, type TestService } from '../support/service.js';

const INGEST_KEY = 'ingest-key-for-runner-tests';
const ADMIN_KEY = 'admin-key-for-runner-tests';
const RUNNER = fileURLToPath(new URL('./fixtures/runner.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));

interface RunnerOutput {
  code: number | null;
  lines: Record<string, unknown>[];
  stderr: string;
}

/** Spawns the runner fixture as its own process, configured only through OTEL_* variables (+ RUNNER_*). */
function runRunner(env: Record<string, string>): Promise<RunnerOutput> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  const child = spawn(process.execPath, ['--import', 'tsx', RUNNER], {
    cwd: REPO,
    env: { ...inherited, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, lines, stderr });
    });
  });
}

function otelEnv(service: TestService, key: string, serviceName: string): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: service.url,
    OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer ${key}`,
    OTEL_SERVICE_NAME: serviceName,
  };
}

/** Retries an assertion until it holds: the batcher writes to the store a little after the runner exits. */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

interface Attempt {
  integration: string;
  flow: string;
  run: string | null;
  status: string;
  recordType: string | null;
  value: number | null;
  currency: string | null;
  failure: { category: string; code: string; message: string } | null;
  reason: string | null;
}

async function getAttempts(service: TestService, tenant: string, recordId: string): Promise<Attempt[]> {
  const res = await fetch(`${service.url}/v1/records?${new URLSearchParams({ tenant, record_id: recordId })}`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { attempts: Attempt[] }).attempts;
}

// What the runner fixture does with each order, as a user of the records API sees it.
const EXPECTED: Record<string, Partial<Attempt> & { failureIs?: [string, string]; messageHas?: string }> = {
  'ORD-1001': { status: 'synced', value: 1250, currency: 'USD', failure: null },
  'ORD-1002': { status: 'synced', value: 99.5, currency: 'EUR', failure: null },
  'ORD-1003': { status: 'synced', value: 310, currency: 'USD', failure: null },
  'ORD-1004': { status: 'failed', value: 420, currency: 'USD', failureIs: ['data', 'validation'], messageHas: 'email is required' },
  'ORD-1005': { status: 'failed', value: 75, currency: 'USD', failureIs: ['endpoint', 'rate_limited'], messageHas: '429' },
  'ORD-1006': { status: 'failed', value: 640, currency: 'USD', failureIs: ['endpoint', 'unavailable'] },
  'ORD-1007': { status: 'skipped', value: 1, reason: 'test order, not exported', failure: null },
  'ORD-1008': { status: 'failed', value: 55, currency: 'XYZ', failureIs: ['data', 'mapping'], messageHas: 'no mapping' },
};

const runRow = z.object({ type: z.string(), records_total: z.coerce.number(), failure_category: z.string() });
const spanRow = z.object({
  TraceId: z.string(),
  SpanId: z.string(),
  ParentSpanId: z.string(),
  ServiceName: z.string(),
  StatusCode: z.string(),
  role: z.string(),
  record_id: z.string(),
  has_exception: z.coerce.number(),
});

for (const exporter of ['proto', 'json'] as const) {
  describe(`a runner exporting with the OTLP ${exporter === 'proto' ? 'protobuf' : 'JSON'} exporter and the SDK`, () => {
    it('lands every record, its value and its failure category, the run lifecycle and the whole spans', async () => {
      const service = await startTestService({ SYNCWATCH_INGEST_KEY: INGEST_KEY, SYNCWATCH_ADMIN_KEY: ADMIN_KEY });
      try {
        const tenant = `acme-${exporter}`;
        const runId = `run-${randomUUID()}`;
        const serviceName = `orders-runner-${exporter}`;
        const out = await runRunner({ ...otelEnv(service, INGEST_KEY, serviceName), RUNNER_EXPORTER: exporter, RUNNER_TENANT: tenant, RUNNER_RUN_ID: runId });
        assert.equal(out.code, 0, out.stderr);
        const exports = out.lines.filter((l) => 'export' in l);
        assert.ok(exports.length > 0 && exports.every((l) => l.export === 'ok'), JSON.stringify(exports));
        assert.deepEqual(out.lines.at(-1)?.counts, { synced: 3, failed: 4, skipped: 1 });

        for (const [recordId, want] of Object.entries(EXPECTED)) {
          const [attempt] = await eventually(async () => {
            const attempts = await getAttempts(service, tenant, recordId);
            assert.equal(attempts.length, 1, `${recordId} should have exactly one attempt`);
            return attempts;
          });
          assert.equal(attempt.integration, 'salesforce', recordId);
          assert.equal(attempt.flow, 'orders.export', recordId);
          assert.equal(attempt.run, runId, recordId);
          assert.equal(attempt.recordType, 'order', recordId);
          assert.equal(attempt.status, want.status, recordId);
          assert.equal(attempt.value, want.value, recordId);
          if (want.currency) assert.equal(attempt.currency, want.currency, recordId);
          if (want.reason) assert.equal(attempt.reason, want.reason, recordId);
          if (want.failure === null) assert.equal(attempt.failure, null, recordId);
          if (want.failureIs) assert.deepEqual([attempt.failure?.category, attempt.failure?.code], want.failureIs, recordId);
          if (want.messageHas) assert.match(attempt.failure?.message ?? '', new RegExp(want.messageHas), recordId);
        }

        const runRows = await eventually(async () => {
          const rows = await service.driver.query({
            name: 'test.sdk.run_events',
            sql: `SELECT type, records_total, failure_category FROM events FINAL
                  WHERE tenant = {tenant:String} AND run = {run:String} AND type LIKE 'run.%' ORDER BY type`,
            params: { tenant, run: runId },
            schema: runRow,
          });
          assert.deepEqual(rows.map((r) => r.type), ['run.started', 'run.succeeded']);
          return rows;
        });
        const succeeded = runRows.find((r) => r.type === 'run.succeeded');
        assert.equal(succeeded?.records_total, 8);
        assert.equal(succeeded?.failure_category, '');

        const spans = await service.driver.query({
          name: 'test.sdk.spans',
          sql: `SELECT TraceId, SpanId, ParentSpanId, ServiceName, StatusCode,
                       SpanAttributes['syncwatch.span'] AS role, SpanAttributes['record.id'] AS record_id,
                       has(Events.Name, 'exception') AS has_exception
                FROM otel_traces WHERE SpanAttributes['tenant.id'] = {tenant:String}`,
          params: { tenant },
          schema: spanRow,
        });
        assert.equal(spans.length, 9, 'one run span and eight record spans');
        assert.ok(spans.every((s) => s.ServiceName === serviceName));
        const [runSpan, ...others] = [...spans].sort((a, b) => (a.role === 'run' ? -1 : b.role === 'run' ? 1 : 0));
        assert.equal(runSpan.role, 'run');
        assert.equal(runSpan.TraceId, out.lines.at(-1)?.traceId);
        for (const s of others) {
          assert.equal(s.role, 'record');
          assert.equal(s.TraceId, runSpan.TraceId, `${s.record_id} is in the run's trace`);
          assert.equal(s.ParentSpanId, runSpan.SpanId, `${s.record_id} is a child of the run span`);
          const failed = EXPECTED[s.record_id].status === 'failed';
          assert.equal(s.StatusCode, failed ? 'Error' : 'Unset', s.record_id);
          assert.equal(s.has_exception, failed ? 1 : 0, s.record_id);
        }
      } finally {
        await service.stop();
      }
    });
  });
}

describe('a runner with a wrong ingest key', () => {
  it('is refused with 401 and nothing of its run is stored', async () => {
    const service = await startTestService({ SYNCWATCH_INGEST_KEY: INGEST_KEY, SYNCWATCH_ADMIN_KEY: ADMIN_KEY });
    try {
      const tenant = 'intruder';
      const out = await runRunner({
        ...otelEnv(service, 'not-the-ingest-key-at-all', 'orders-runner-intruder'),
        RUNNER_EXPORTER: 'proto',
        RUNNER_TENANT: tenant,
        RUNNER_RUN_ID: 'run-intruder',
      });
      assert.equal(out.code, 0, out.stderr);
      const exports = out.lines.filter((l) => 'export' in l);
      assert.ok(exports.length > 0, 'the runner tried to export');
      for (const e of exports) assert.deepEqual([e.export, e.status], ['failed', 401]);

      await service.ingest.batcher.flush();
      assert.equal(service.ingest.batcher.stats.acceptedRows, 0);
      assert.deepEqual(await getAttempts(service, tenant, 'ORD-1001'), []);
      const [stored] = await service.driver.query({
        name: 'test.sdk.intruder',
        sql: `SELECT (SELECT count() FROM otel_traces WHERE SpanAttributes['tenant.id'] = {tenant:String}) AS spans,
                     (SELECT count() FROM events WHERE tenant = {tenant:String}) AS events`,
        params: { tenant },
        schema: z.object({ spans: z.coerce.number(), events: z.coerce.number() }),
      });
      assert.deepEqual(stored, { spans: 0, events: 0 });
    } finally {
      await service.stop();
    }
  });
});
