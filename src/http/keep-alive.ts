import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Closes idle keep-alive connections without resetting a request that is already on its
 * way. Node destroys an idle socket when its keep-alive timer fires, and timers run
 * before the event loop reads sockets: when the service is saturated (a long request
 * handler, the process starved of CPU) the timer can come due while a client's next
 * request on that socket is already in the kernel's buffer, unread. Destroying a socket
 * with unread bytes makes the kernel send a reset, so the client got ECONNRESET for a
 * request the service never saw (reproduced under load in session 7; see
 * docs/decisions.md). Here the close waits one turn of the loop (setImmediate runs after
 * the poll phase has read what arrived): a socket that received bytes meanwhile carries a
 * request and is served; one that did not is closed as before.
 */
export function closeIdleSocketsAfterReading(server: Server): void {
  // A 'timeout' listener on the server stops Node's own destroy; the close is ours.
  server.on('timeout', (socket: Socket) => {
    const seen = socket.bytesRead;
    setImmediate(() => {
      if (!socket.destroyed && socket.bytesRead === seen) socket.destroy();
    });
  });
}
