import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { nextResponse, statusAndBody } from '../support/raw-http.js';
import { startTestService, type TestService } from '../support/service.js';

// Session 6's ECONNRESET under saturation: a client reused an idle keep-alive connection,
// the service's event loop then stalled past the keep-alive timeout, and Node's timer
// (run before the loop reads sockets) destroyed the socket with the request unread: the
// kernel answered with a reset. The stall here is the client's own busy loop in this
// process, right after it writes; the keep-alive timeout is made tiny so it comes due
// during that stall every time.
const INGEST = 'ingest-key-keepalive-0123456789';
const KEEP_ALIVE_MS = 50;
let svc: TestService;

before(async () => {
  svc = await startTestService({ SYNCWATCH_INGEST_KEY: INGEST, SYNCWATCH_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS) });
});
after(async () => {
  await svc.stop();
});

const eventRequest = (id: string) => {
  const body = JSON.stringify([{ id, type: 'record.synced', tenant: 'acme', integration: 'salesforce', flow: 'orders.export', run: 'run-ka', record: { id: `ORD-${id}`, type: 'order', value: 10 } }]);
  return `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${INGEST}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
};

const storedIds = async () =>
  (await svc.driver.query<{ id: string }>({ name: 'test.ids', sql: "SELECT event_id AS id FROM events WHERE run = 'run-ka' ORDER BY id" })).map((r) => r.id);

test('a request on a kept-alive connection is served, not reset, when the loop stalls past the keep-alive timeout', async () => {
  const socket = connect(Number(new URL(svc.url).port), '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(eventRequest('ka-1'));
  const first = await nextResponse(socket);
  assert.deepEqual(statusAndBody(first), { status: 202, body: JSON.stringify({ accepted: 1, rejected: [] }) });

  // The connection is idle and its keep-alive timer runs. Send the next request and stall the
  // process (as saturation does) until well after the timer is due.
  const answer = nextResponse(socket);
  socket.write(eventRequest('ka-2'));
  // Node closes at the advertised timeout plus an internal second: stall well past both.
  const stallUntil = Date.now() + KEEP_ALIVE_MS + 2_500;
  while (Date.now() < stallUntil);
  const second = await answer;
  assert.deepEqual(statusAndBody(second), { status: 202, body: JSON.stringify({ accepted: 1, rejected: [] }) }, 'the request that was waiting in the socket is answered');
  socket.destroy();

  // Nothing accepted is lost or counted twice.
  await svc.ingest.batcher.flush();
  assert.deepEqual(await storedIds(), ['ka-1', 'ka-2']);
});

test('an idle keep-alive connection is still closed once its timeout passes', async () => {
  const socket = connect(Number(new URL(svc.url).port), '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(eventRequest('ka-3'));
  assert.equal(((await nextResponse(socket)) as { status: number }).status, 202);
  // Nothing more is sent: the service closes the connection (the test would hang otherwise).
  assert.deepEqual(await nextResponse(socket), { failed: 'closed without an answer' });
});
