import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { startTestService, type TestService } from '../support/service.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SDK_DIR = path.join(ROOT, 'packages/sdk');
const require = createRequire(import.meta.url);
/** The OpenTelemetry SDK parts the example uses to export (a runner brings its own). */
const TRACE_BASE = pathToFileURL(require.resolve('@opentelemetry/sdk-trace-base')).href;
const EXPORTER = pathToFileURL(require.resolve('@opentelemetry/exporter-trace-otlp-proto')).href;

const EXAMPLE = `
import { trace } from '@opentelemetry/api';
import { syncwatch, SyncwatchError } from '@syncwatch/sdk';
const { BasicTracerProvider, SimpleSpanProcessor } = await import(process.env.TRACE_BASE);
const { OTLPTraceExporter } = await import(process.env.EXPORTER);
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: process.env.SYNCWATCH_URL + '/v1/traces' }))] });
trace.setGlobalTracerProvider(provider);

const run = syncwatch.startRun({ tenant: 'acme', integration: 'shop', flow: 'orders.export' });
await run.record({ id: 'ORD-1', type: 'order', value: 12.5 }, async () => 'pushed');
await run.record({ id: 'ORD-2', type: 'order' }, async () => {
  throw new SyncwatchError('email is required', { category: 'data', code: 'validation' });
});
await run.end();
await provider.shutdown();
console.log(JSON.stringify({ runId: run.runId }));
`;

function du(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = statSync(p);
    total += st.isDirectory() ? du(p) : st.size;
  }
  return total;
}

let svc: TestService;
let work: string;
before(async () => {
  svc = await startTestService();
  work = mkdtempSync(path.join(tmpdir(), 'syncwatch-sdk-pack-'));
});
after(async () => {
  await svc.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('@syncwatch/sdk as a package', () => {
  test('packs, installs into an empty project beside @opentelemetry/api alone (< 10 MB), and its example reaches syncwatch', async () => {
    // Build and pack the workspace package, as `npm publish` would.
    await run('npm', ['run', 'build'], { cwd: SDK_DIR });
    const packed = JSON.parse((await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: SDK_DIR })).stdout)[0];
    const files = packed.files.map((f: { path: string }) => f.path).sort();
    assert.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts') && files.includes('README.md'), files.join(', '));
    assert.ok(!files.some((f: string) => f.startsWith('src/')), 'sources are not shipped');
    // @opentelemetry/api packed from this checkout, so the install needs no registry.
    const apiDir = path.join(ROOT, 'node_modules/@opentelemetry/api');
    const api = JSON.parse((await run('npm', ['pack', '--json', '--pack-destination', work, apiDir], { cwd: work })).stdout)[0];

    const project = path.join(work, 'project');
    await run('mkdir', ['-p', project]);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'runner', private: true, type: 'module' }));
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(work, api.filename), path.join(work, packed.filename)], { cwd: project });
    const modules = path.join(project, 'node_modules');
    const installed = readdirSync(modules).filter((scope) => !scope.startsWith('.')).flatMap((scope) => readdirSync(path.join(modules, scope)).map((name) => `${scope}/${name}`));
    assert.deepEqual(installed.sort(), ['@opentelemetry/api', '@syncwatch/sdk']);
    const bytes = du(path.join(project, 'node_modules'));
    assert.ok(bytes < 10 * 1024 * 1024, `installed size ${bytes} bytes`);
    const manifest = JSON.parse(readFileSync(path.join(project, 'node_modules/@syncwatch/sdk/package.json'), 'utf8'));
    assert.deepEqual(Object.keys(manifest.dependencies ?? {}), []);
    assert.deepEqual(Object.keys(manifest.peerDependencies), ['@opentelemetry/api']);

    writeFileSync(path.join(project, 'example.mjs'), EXAMPLE);
    const out = await run(process.execPath, ['example.mjs'], { cwd: project, env: { ...process.env, TRACE_BASE, EXPORTER, SYNCWATCH_URL: svc.url } });
    const { runId } = JSON.parse(out.stdout.trim().split('\n').pop()!);

    await svc.ingest.batcher.flush();
    const res = await fetch(`${svc.url}/v1/runs/${runId}/report?tenant=acme`);
    assert.equal(res.status, 200);
    const report = await res.json();
    assert.equal(report.run.outcome, 'partial', 'the run ended with a failed record');
    assert.deepEqual(report.run.records, { synced: 1, failed: 1, skipped: 0 });
    const failed = report.records.find((r: { record_id: string }) => r.record_id === 'ORD-2');
    assert.deepEqual(failed.failure, { category: 'data', code: 'validation', message: 'email is required', retryable: false });
    assert.equal(report.records.find((r: { record_id: string }) => r.record_id === 'ORD-1').value, 12.5);
  });
});
