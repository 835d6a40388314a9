import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { Links } from '../../src/links.js';
import { createMessage, checkWebhookUrl, isAddressAllowed, WebhookUrlError, type HostLookup } from '../../src/notify/index.js';
import { createWebhookChannel } from '../../src/notify/webhook.js';
import { SECRET, startReceiver } from './support.js';

const resolvesTo =
  (...addresses: string[]): HostLookup =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }) as const);

const refused = async (url: string, allow: string[] = [], lookup?: HostLookup) => {
  await assert.rejects(checkWebhookUrl(url, allow, lookup), (err: unknown) => {
    assert.ok(err instanceof WebhookUrlError, 'a WebhookUrlError');
    assert.equal((err as WebhookUrlError).status, 400);
    return true;
  }, `${url} is refused`);
};

describe('SSRF guard: checkWebhookUrl', () => {
  test('loopback, private, link-local, CGNAT, unique-local, unspecified and multicast addresses are refused', async () => {
    for (const url of [
      'http://127.0.0.1/hook',
      'http://127.1.2.3:8080/',
      'http://2130706433/',
      'http://0x7f000001/',
      'http://10.0.0.5/',
      'http://172.16.9.9/',
      'http://192.168.1.1/',
      'http://169.254.169.254/latest/meta-data',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://224.0.0.1/',
      'http://[::1]/',
      'http://[::]/',
      'http://[fd12:3456::1]/',
      'http://[fe80::1]/',
      'http://[ff02::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:a9fe:a9fe]/',
    ]) {
      await refused(url);
    }
  });

  test('host names are resolved and every address is checked', async () => {
    await refused('https://hooks.example.test/x', [], resolvesTo('10.1.2.3'));
    await refused('https://hooks.example.test/x', [], resolvesTo('93.184.215.14', '127.0.0.1'));
    const ok = await checkWebhookUrl('https://hooks.example.test/x', [], resolvesTo('93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'));
    assert.deepEqual(ok.addresses.map((a) => a.address), ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']);
  });

  test('only http and https; a host that does not resolve is refused (as retryable)', async () => {
    await refused('ftp://example.com/');
    await refused('file:///etc/passwd');
    await refused('not a url');
    await assert.rejects(
      checkWebhookUrl('https://nowhere.example.test/', [], async () => {
        throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      }),
      (err: WebhookUrlError) => err.retryable === true && /does not resolve \(ENOTFOUND\)/.test(err.message),
    );
  });

  test('SYNCWATCH_WEBHOOK_ALLOW lets hosts, addresses and CIDRs through', async () => {
    await checkWebhookUrl('http://127.0.0.1:9000/', ['127.0.0.1']);
    await checkWebhookUrl('http://10.20.30.40/', ['10.0.0.0/8']);
    await checkWebhookUrl('http://[fd00::7]/', ['fd00::/8']);
    await checkWebhookUrl('http://hooks.internal/', ['hooks.internal'], resolvesTo('10.9.9.9'));
    await refused('http://10.20.30.40/', ['10.0.0.0/16']);
    await refused('http://other.internal/', ['hooks.internal'], resolvesTo('10.9.9.9'));
    assert.equal(isAddressAllowed('::ffff:10.1.1.1', ['10.0.0.0/8']), true);
    assert.equal(isAddressAllowed('8.8.8.8'), true);
    assert.equal(isAddressAllowed('172.32.0.1'), true);
  });
});

describe('SSRF guard at send time', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => receiver?.close());
  const message = createMessage({ type: 'test', alerts: [], audience: 'operator', tenant: null, groupKey: 't', createdAt: Date.now() });
  const ctx = { attempt: 1, timeoutMs: 2000, now: Date.now() };

  test('a loopback receiver is refused unless allow-listed, and never contacted', async () => {
    const url = `${receiver.url}/hook`;
    const strict = createWebhookChannel({ allow: [], links: new Links('http://localhost', null, systemClock) });
    const result = await strict({ channel: 'webhook', url, secret: SECRET }, message, ctx);
    assert.equal(result.ok, false);
    assert.equal(result.retryable, false);
    assert.match(result.error ?? '', /private, loopback/);
    assert.equal(receiver.requests.length, 0);

    const allowed = createWebhookChannel({ allow: ['127.0.0.1'], links: new Links('http://localhost', null, systemClock) });
    assert.equal((await allowed({ channel: 'webhook', url, secret: SECRET }, message, ctx)).ok, true);
    assert.equal(receiver.requests.length, 1);
  });

  test('a host whose DNS changes to a private address after the subscription was saved is refused when sending', async () => {
    let answer = '93.184.215.14';
    const lookup: HostLookup = async () => [{ address: answer, family: 4 }];
    await checkWebhookUrl('http://hooks.example.test/x', [], lookup);
    answer = '169.254.169.254';
    const channel = createWebhookChannel({ allow: [], links: new Links('http://localhost', null, systemClock), lookup });
    const result = await channel({ channel: 'webhook', url: 'http://hooks.example.test/x', secret: SECRET }, message, ctx);
    assert.equal(result.ok, false);
    assert.equal(result.retryable, false);
    assert.match(result.error ?? '', /169\.254\.169\.254/);
  });

  test('the connection goes to the address that was checked (no second DNS look-up)', async () => {
    const port = new URL(receiver.url).port;
    const channel = createWebhookChannel({ allow: ['127.0.0.1'], links: new Links('http://localhost', null, systemClock), lookup: resolvesTo('127.0.0.1') });
    const before = receiver.requests.length;
    const result = await channel({ channel: 'webhook', url: `http://hooks.example.test:${port}/pinned`, secret: SECRET }, message, ctx);
    assert.equal(result.ok, true, result.error);
    assert.equal(receiver.requests.length, before + 1);
    assert.equal(receiver.requests.at(-1)!.headers.host, `hooks.example.test:${port}`);
    assert.equal(receiver.requests.at(-1)!.path, '/pinned');
  });
});
