import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore, type Driver } from '../../src/store/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin/syncwatch.js');

/** Runs the CLI as a user would; resolves with its exit code and output. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, CLICKHOUSE_URL: '', SYNCWATCH_LOG_LEVEL: 'error', HOST: '127.0.0.1', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = await once(child, 'exit');
  return { code, stdout, stderr };
}

let dir: string;
let busy: Server;
let busyPort: number;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-cli-'));
  busy = createServer().listen(0, '127.0.0.1');
  await once(busy, 'listening');
  busyPort = (busy.address() as AddressInfo).port;
});
after(() => {
  busy.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the syncwatch command', () => {
  test('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const out = await cli(['--version']);
    assert.equal(out.code, 0);
    assert.equal(out.stdout.trim(), version);
  });

  test('a busy HTTP port is one line naming the port and PORT, not a stack trace', async () => {
    const out = await cli(['serve'], { PORT: String(busyPort), SYNCWATCH_GRPC_PORT: '0', SYNCWATCH_DATA_DIR: path.join(dir, 'http') });
    assert.equal(out.code, 1);
    assert.equal(out.stderr.trim(), `syncwatch: port ${busyPort} on 127.0.0.1 is already in use; stop the process using it or choose another port (PORT=…).`);
  });

  test('a busy gRPC port is one line naming SYNCWATCH_GRPC_PORT', async () => {
    const out = await cli(['serve'], { PORT: '0', SYNCWATCH_GRPC_PORT: String(busyPort), SYNCWATCH_DATA_DIR: path.join(dir, 'grpc') });
    assert.equal(out.code, 1);
    assert.equal(out.stderr.trim().split('\n').length, 1, out.stderr);
    assert.match(out.stderr, new RegExp(`^syncwatch: port ${busyPort} on 127\\.0\\.0\\.1 is already in use; .*SYNCWATCH_GRPC_PORT`));
  });

  test('report while another process has the embedded store open is one line saying so', async () => {
    const dataDir = path.join(dir, 'held');
    const held: Driver = await openStore({ clickhouse: { database: 'default' }, dataDir });
    try {
      const out = await cli(['report', '--tenant', 'acme'], { SYNCWATCH_DATA_DIR: dataDir, SYNCWATCH_GRPC_PORT: '0' });
      assert.equal(out.code, 1);
      assert.equal(out.stderr.trim().split('\n').length, 1, out.stderr);
      assert.match(out.stderr, new RegExp(`^syncwatch: the embedded store in ${dataDir}/clickhouse is open in another process \\(pid ${process.pid}, `));
    } finally {
      await held.close();
    }
  });
});
