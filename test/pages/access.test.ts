import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { ACME_KEY, ADMIN, GLOBEX_KEY, INGEST, post, run, startPageService, type PageService } from './status-seed.js';

// Who may open which page (docs/architecture.md#access, docs/customers.md#opening-it-links-and-keys),
// over HTTP: tenant pages need that tenant's key, signed link or session (or an admin),
// errors are HTML pages, and sign-in never redirects off the site.

let ps: PageService;
const app = () => request(ps.svc.server);

before(async () => {
  ps = await startPageService();
  const now = Date.now();
  await post(ps.svc, [
    ...run(now, { tenant: 'acme', integration: 'salesforce', connection: 'a', flow: 'orders.export' }, 'run-acme-1', 5, 'succeeded', [{ id: 'ACME-1', status: 'synced' }]),
    ...run(now, { tenant: 'globex', integration: 'salesforce', connection: 'g', flow: 'orders.export' }, 'run-globex-1', 5, 'succeeded', [{ id: 'GLOBEX-1', status: 'synced' }]),
  ]);
});
after(async () => {
  await ps?.stop();
});

/** Signs in through the form; returns the session cookie (name=value). */
async function session(key: string): Promise<string> {
  const res = await app().post('/login').type('form').send({ key });
  assert.equal(res.status, 303, res.text);
  const cookie = (res.headers['set-cookie'] as unknown as string[] | undefined)?.find((c) => c.startsWith('syncwatch_session='));
  assert.ok(cookie, 'a session cookie is set');
  return cookie.split(';')[0];
}

describe('page access', () => {
  test('without a key, link or session a tenant page is a 401 HTML page offering sign-in', async () => {
    const res = await app().get('/status/acme');
    assert.equal(res.status, 401);
    assert.match(res.headers['content-type'], /^text\/html/);
    assert.match(res.text, /<h1>Sign in to see this page<\/h1>/);
    assert.ok(res.text.includes('href="/login?next=%2Fstatus%2Facme"'), 'the sign-in link comes back here');
    assert.ok(!res.text.includes('ACME-1'));
    assert.equal((await app().get('/status/acme/runs/run-acme-1')).status, 401);
  });

  test('signed out, the operator pages send the browser to /login and back', async () => {
    for (const [path, next] of [['/', '%2F'], ['/adoption?period=2026-10', '%2Fadoption%3Fperiod%3D2026-10']]) {
      const res = await app().get(path);
      assert.equal(res.status, 303, path);
      assert.equal(res.headers.location, `/login?next=${next}`);
    }
  });

  test('an ingest key cannot sign in to pages', async () => {
    const res = await app().post('/login').type('form').send({ key: INGEST });
    assert.equal(res.status, 401);
    assert.match(res.text, /Ingest keys cannot open pages/);
    assert.equal(res.headers['set-cookie'], undefined);
    assert.equal((await app().get('/status/acme').set('Authorization', `Bearer ${INGEST}`)).status, 403);
  });

  test('sign-in never redirects to another site', async () => {
    for (const next of ['//evil.example', 'https://evil.example/', '/\\evil.example', '\\\\evil.example', 'javascript:alert(1)']) {
      const res = await app().post('/login').type('form').send({ key: ADMIN, next });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/', `next=${next} is not followed`);
      const form = await app().get('/login').query({ next });
      assert.ok(!form.text.includes('evil.example') && !form.text.includes('javascript:'), `the form does not carry next=${next}`);
    }
    const same = await app().post('/login').type('form').send({ key: ACME_KEY, next: '/status/acme?record=ACME-1' });
    assert.equal(same.headers.location, '/status/acme?record=ACME-1', 'a same-site path is followed');
  });

  test("a tenant's session opens its own pages only", async () => {
    const acme = await session(ACME_KEY);
    assert.equal((await app().get('/status/acme').set('Cookie', acme)).status, 200);
    assert.equal((await app().get('/status/acme/runs/run-acme-1').set('Cookie', acme)).status, 200);
    for (const path of ['/status/globex', '/status/globex/runs/run-globex-1', '/status/globex/runs/run-globex-1?format=csv', '/status/globex?record=GLOBEX-1', '/reports/globex']) {
      const res = await app().get(path).set('Cookie', acme);
      assert.equal(res.status, 403, path);
      assert.match(res.text, /Not available with this access/);
      assert.ok(!res.text.includes('GLOBEX-1') || path.includes('GLOBEX-1'), path);
    }
    // Looking globex's run up under acme's own address finds nothing.
    assert.equal((await app().get('/status/acme/runs/run-globex-1').set('Cookie', acme)).status, 404);
    assert.equal((await app().get('/status/acme/runs/run-globex-1?format=csv').set('Cookie', acme)).status, 404);
    assert.equal((await app().get('/').set('Cookie', acme)).status, 403, 'the operator overview is for admins');
  });

  test('a tenant key sent as a Bearer header is held to its tenant too', async () => {
    assert.equal((await app().get('/status/globex').set('Authorization', `Bearer ${GLOBEX_KEY}`)).status, 200);
    assert.equal((await app().get('/status/acme').set('Authorization', `Bearer ${GLOBEX_KEY}`)).status, 403);
    assert.equal((await app().get('/status/acme').set('Authorization', 'Bearer not-a-real-key-0123456789')).status, 401);
  });

  test('an admin opens any tenant', async () => {
    const admin = await session(ADMIN);
    for (const path of ['/status/acme', '/status/globex', '/status/globex/runs/run-globex-1']) {
      assert.equal((await app().get(path).set('Cookie', admin)).status, 200, path);
    }
    const csv = await app().get('/status/globex/runs/run-globex-1?format=csv').set('Cookie', admin);
    assert.equal(csv.status, 200);
    assert.match(csv.headers['content-type'], /^text\/csv/);
    assert.match(csv.text, /GLOBEX-1,order,synced/);
  });

  test('a signed link becomes an HttpOnly session and is stripped from the address; it opens only its tenant', async () => {
    const link = new URL(ps.links.statusPage('acme'));
    const res = await app().get(`${link.pathname}${link.search}`);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/status/acme');
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0];
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    const acme = cookie.split(';')[0];
    assert.equal((await app().get('/status/acme').set('Cookie', acme)).status, 200);

    // acme's token on globex's address signs in as acme, and so is refused there.
    const token = link.searchParams.get('access')!;
    const other = await app().get(`/status/globex?access=${token}`);
    assert.equal(other.status, 303);
    const asAcme = (other.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    assert.equal((await app().get('/status/globex').set('Cookie', asAcme)).status, 403);
  });

  test('the redirect that strips a signed link\'s token stays on this site, and a refused token is not passed on', async () => {
    const token = new URL(ps.links.statusPage('acme')).searchParams.get('access')!;
    for (const path of ['/status/%2e%2e/%2e%2e//evil.example', '/status/../..//evil.example/x', '/status/acme']) {
      const res = await app().get(`${path}?record=A%20B&access=${token}`);
      assert.equal(res.status, 303, path);
      assert.ok(res.headers.location.startsWith('/') && !/^[/\\]{2}/.test(res.headers.location), `${path} → ${res.headers.location}`);
      assert.ok(!res.headers.location.includes('access='));
      assert.ok(res.headers.location.endsWith('?record=A+B'), res.headers.location);
    }
    const refused = await app().get('/status/acme?access=not-a-token');
    assert.equal(refused.status, 401);
    assert.ok(refused.text.includes('href="/login?next=%2Fstatus%2Facme"'), 'the sign-in link leaves the refused token out');
  });

  test('a forged session cookie is no session', async () => {
    const forged = ps.signer.sign({ role: 'admin', tenants: null, expiresAt: Date.now() + 3_600_000 }).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    assert.equal((await app().get('/status/acme').set('Cookie', `syncwatch_session=${forged}`)).status, 401);
    const expired = ps.signer.sign({ role: 'admin', tenants: null, expiresAt: Date.now() - 1000 });
    assert.equal((await app().get('/status/acme').set('Cookie', `syncwatch_session=${expired}`)).status, 401);
  });

  test('pages are never stored by shared caches', async () => {
    const res = await app().get('/status/acme').set('Authorization', `Bearer ${ACME_KEY}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['cache-control'], 'private, no-store');
  });
});
