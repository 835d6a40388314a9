import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestService, type TestService } from '../support/service.js';

// The 408 of a request or headers timeout is written by the server's clientError handler
// (src/http/server.ts) while the client may still be sending: unread body bytes in the
// socket. Seen from a raw socket: does the client get the 408, or a reset in its place, and
// is the connection then closed?
const INGEST = 'ingest-key-linger-0123456789';
const TIMEOUT_MS = 1_000;
let svc: TestService;
let port: number;

before(async () => {
  svc = await startTestService({ SYNCWATCH_INGEST_KEY: INGEST, SYNCWATCH_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS), SYNCWATCH_HEADERS_TIMEOUT_MS: String(TIMEOUT_MS) });
  port = Number(new URL(svc.url).port);
});
after(async () => svc.stop());

const postHead = (length: number) =>
  `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${INGEST}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

/** Everything a raw socket goes through, in order, until it closes. */
function record(socket: Socket): { events: string[]; received: () => string; closed: Promise<void> } {
  const events: string[] = [];
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('utf8');
    events.push('data');
  });
  socket.on('end', () => events.push('end'));
  socket.on('error', (err: NodeJS.ErrnoException) => events.push(`error ${err.code}`));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { events, received: () => received, closed };
}

function assertTimeoutAnswer(text: string) {
  const end = text.indexOf('\r\n\r\n');
  assert.ok(end > 0, `no complete response head in ${JSON.stringify(text.slice(0, 200))}`);
  assert.match(text.slice(0, end), /^HTTP\/1\.1 408 /);
  assert.match(text.slice(0, end), /connection: close/i);
  const length = Number(/content-length: (\d+)/i.exec(text.slice(0, end))?.[1]);
  assert.deepEqual(JSON.parse(text.slice(end + 4, end + 4 + length)).error.code, 'request_timeout');
}

/** Busy-waits: the whole process (the service too) stalls, as under saturation. */
const stall = (ms: number) => {
  for (const until = Date.now() + ms; Date.now() < until; );
};

describe('the 408 of a request timeout', () => {
  test('with body bytes still unread when it fires, the client gets the 408, then a clean close (no reset)', async () => {
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const seen = record(socket);
    socket.write(postHead(10_000_000));
    socket.write(Buffer.alloc(1 << 20, 0x20));
    // The loop is stalled past the timeout with the megabyte in the socket, unread: the
    // timeout check runs before the loop reads it.
    stall(TIMEOUT_MS + 1_500);
    await seen.closed;
    assertTimeoutAnswer(seen.received());
    assert.deepEqual(seen.events.filter((e) => e !== 'data'), ['end'], `events: ${seen.events.join(', ')}`);
  });

  for (const [what, head, more] of [
    ['a body', postHead(10_000_000), ' '.repeat(1024)],
    ['headers', 'POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: 1\r\n'],
  ] as const) {
    // Without the linger's end the connection stayed open as long as the client wrote: the test's timeout fails it.
    test(`a client that keeps sending ${what} after its 408 is cut once the linger is over, not held open`, { timeout: 60_000 }, async (t) => {
      // allowHalfOpen: the client ignores the server's FIN and goes on writing, as a hostile one does.
      const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      await new Promise((resolve) => socket.once('connect', resolve));
      const seen = record(socket);
      socket.write(head);
      let answeredAt = 0;
      const trickle = setInterval(() => {
        if (!answeredAt && seen.received().includes('\r\n\r\n')) answeredAt = Date.now();
        if (!socket.destroyed) socket.write(more);
      }, 100);
      // A failed (timed-out) run lets go of the socket, so the service can still stop.
      t.signal.addEventListener('abort', () => {
        clearInterval(trickle);
        socket.destroy();
      });
      await seen.closed;
      clearInterval(trickle);
      assertTimeoutAnswer(seen.received());
      assert.equal(seen.events[0], 'data', `the 408 comes first: ${seen.events.join(', ')}`);
      // Cut by the service, not by this test: it closed the connection after the linger
      // (a reset at that point is expected: the client is still sending).
      assert.ok(answeredAt > 0);
      assert.ok(seen.events.some((e) => e === 'end' || e.startsWith('error')), seen.events.join(', '));
    });
  }
});
