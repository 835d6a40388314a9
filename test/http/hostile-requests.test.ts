import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestService, type TestService } from '../support/service.js';

// Issue 9, findings 5-7: requests from a hostile-input corpus that got a 5xx, wiped data
// or held a connection. Each must now get a 4xx in the API's (or the pages') error shape.
let svc: TestService;
before(async () => {
  svc = await startTestService({ SYNCWATCH_REQUEST_TIMEOUT_MS: '2000', SYNCWATCH_HEADERS_TIMEOUT_MS: '1000' });
});
after(async () => svc.stop());

const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

/** Sends raw bytes on a fresh connection and returns everything the server wrote before closing it. */
function rawExchange(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(svc.port, '127.0.0.1', () => socket.write(bytes));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('finding 5: JSON bodies need a JSON content type', () => {
  test('PUT subscriptions without application/json is a 415 naming the type, and the subscription is kept', async () => {
    const url = `${svc.url}/v1/tenants/acme/subscriptions`;
    const saved = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ emails: ['ops@acme.example'] }) });
    assert.equal(saved.status, 200);
    for (const headers of [{ 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }, {} as Record<string, string>]) {
      const res = await fetch(url, { method: 'PUT', headers, body: JSON.stringify({ emails: [] }) });
      assert.equal(res.status, 415, JSON.stringify(headers));
      const error = await errorOf(res);
      assert.equal(error.code, 'unsupported_media_type');
      assert.match(error.message, /Content-Type must be application\/json/);
    }
    const kept = (await (await fetch(url)).json()) as { emails: string[] };
    assert.deepEqual(kept.emails, ['ops@acme.example']);
  });

  test('POST /v1/silences and /v1/notifications/test refuse a non-JSON body the same way', async () => {
    for (const path of ['/v1/silences', '/v1/notifications/test']) {
      const res = await fetch(`${svc.url}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
      assert.equal(res.status, 415, path);
    }
  });
});

describe('finding 6: hostile input is a 4xx', () => {
  test('unterminated JSON nested 20 000 levels deep on /v1/events is a 400', async () => {
    for (const body of ['['.repeat(20_000), '{"a":'.repeat(20_000)]) {
      const res = await fetch(`${svc.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(res.status, 400);
      assert.equal((await errorOf(res)).code, 'too_deep');
    }
  });

  test('years 0000, 9999 and negative in from/to/period/since are a 400 naming the parameter', async () => {
    const cases: [string, string][] = [
      ['/v1/health?to=9999-01-01T00:00:00Z', 'to'],
      ['/v1/health?from=9999-01-01T00:00:00Z&to=9999-01-02T00:00:00Z', 'to'],
      ['/v1/failures?to=0001-01-02T00:00:00Z&window=1d', 'to'],
      ['/v1/runs?from=9999-01-01T00:00:00Z&to=9999-01-02T00:00:00Z', 'to'],
      ['/v1/value?from=1999-12-01T00:00:00Z&to=2000-01-02T00:00:00Z', 'from'],
      ['/v1/adoption?to=9999-12-31T00:00:00Z&window=7d', 'to'],
      ['/v1/alerts?since=9999-01-01T00:00:00Z', 'since'],
      ['/v1/reports/value?tenant=acme&period=9999-01', 'period'],
      ['/v1/reports/value?tenant=acme&period=0000-W01', 'period'],
      ['/v1/reports/value?tenant=acme&from=0000-01-01&to=0000-01-31', 'from'],
    ];
    for (const [path, parameter] of cases) {
      const res = await fetch(`${svc.url}${path}`);
      assert.equal(res.status, 400, path);
      const error = await errorOf(res);
      assert.equal(error.code, 'invalid_parameter', path);
      assert.ok(error.message.startsWith(`${parameter}:`), `${path}: ${error.message}`);
    }
    for (const path of ['/v1/health?from=-0001-01-01T00:00:00Z', '/v1/runs?from=+099999-01-01T00:00:00Z']) {
      assert.equal((await fetch(`${svc.url}${path}`)).status, 400, path);
    }
  });

  test('the same dates on pages are a 400 page', async () => {
    for (const path of ['/reports/acme?period=9999-01', '/reports/acme?period=0000-01', '/reports/acme?from=0000-01-01', '/adoption?from=9999-01-01&to=9999-01-05']) {
      const res = await fetch(`${svc.url}${path}`);
      assert.equal(res.status, 400, path);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await res.text(), /between 2000-01-01 and 2100-01-01/);
    }
  });

  test('%ZZ in a path is a 400, as JSON on the API and as a page on pages', async () => {
    const api = await fetch(`${svc.url}/v1/tenants/%ZZ/subscriptions`);
    assert.equal(api.status, 400);
    assert.equal((await errorOf(api)).code, 'invalid_path');
    for (const path of ['/status/%ZZ', '/reports/%ZZ', '/status/acme/runs/%ZZ']) {
      const res = await fetch(`${svc.url}${path}`);
      assert.equal(res.status, 400, path);
      assert.match(await res.text(), /bad percent-encoding/);
    }
  });

  test('a /login body over 8 KB is a 413 page', async () => {
    const res = await fetch(`${svc.url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `key=${'k'.repeat(9000)}` });
    assert.equal(res.status, 413);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  });
});

describe('finding 7: slow, lying and oversized requests', () => {
  test('a Content-Length of 10^12 is refused with 413 at once and the connection closed', async () => {
    for (const [path, type] of [['/v1/events', 'application/json'], ['/v1/silences', 'application/json'], ['/login', 'application/x-www-form-urlencoded']]) {
      const answer = await rawExchange(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nContent-Length: 1000000000000\r\n\r\n[`);
      assert.match(answer, /^HTTP\/1\.1 413 /, path);
    }
  });

  test('a body that stops arriving is a JSON 408 once the request timeout passes', async () => {
    const answer = await rawExchange('POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[{"id":');
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /"code":"request_timeout"/);
  });

  test('a 10 KB query string is a JSON 414 and a 64 KB one a JSON 431; the service keeps answering', async () => {
    const long = await fetch(`${svc.url}/v1/health?tenant=${'a'.repeat(10 * 1024)}`);
    assert.equal(long.status, 414);
    assert.equal((await errorOf(long)).code, 'uri_too_long');
    const huge = await fetch(`${svc.url}/v1/health?tenant=${'a'.repeat(64 * 1024)}`);
    assert.equal(huge.status, 431);
    assert.equal((await errorOf(huge)).code, 'headers_too_large');
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
  });
});
