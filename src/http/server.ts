import { createServer, STATUS_CODES, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors.js';
import { closeIdleSocketsAfterReading } from './keep-alive.js';

/** Longest request target (path + query) routed; longer ones get a JSON 414. */
export const MAX_URL_BYTES = 8 * 1024;

/** Limits of the HTTP server itself, before express sees a request. */
export interface ServerLimits {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
}

/**
 * An HTTP server for `app` with timeouts a slow or lying client cannot outlast. Node's
 * default lets a request take 300 s, checked every 30 s: a `Content-Length: 10^12` with
 * no body held a socket for five minutes. Errors Node raises before express sees the
 * request (headers over 16 KB, timeouts, malformed HTTP) get the API's JSON error shape.
 */
export function createHttpServer(app: RequestListener, limits: ServerLimits): Server {
  const server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    },
    app,
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  closeIdleSocketsAfterReading(server);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket));
  return server;
}

/**
 * How long a connection answered from here (408, 431, 400) may go on sending before it is
 * cut. Node keeps reading a socket after its answer is ended: a client that kept trickling
 * body bytes after its 408 held the connection for good (observed: 25 s and counting), past
 * every timeout. Cutting at once instead would destroy a socket with unread bytes, and the
 * kernel's reset can discard the answer still on its way (a lingering close, as web servers do).
 */
export const ANSWERED_LINGER_MS = 2_000;

/** Sockets answered and lingering: a second error on one (Node checks timeouts again) waits for the linger. */
const lingering = new WeakSet<Duplex>();

function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (lingering.has(socket)) return;
  const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (!socket.writable || started || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'the request line and headers exceed 16 KB (a long query string counts); send fewer or shorter parameters']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'the request was not received in time']
        : [400, 'bad_request', 'the request is not valid HTTP'];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  lingering.add(socket);
  const cut = setTimeout(() => socket.destroy(), ANSWERED_LINGER_MS);
  cut.unref();
  socket.once('close', () => clearTimeout(cut));
}

/** Middleware: a request target over MAX_URL_BYTES is a JSON 414, before any route parses it. */
export function limitUrlLength(req: Request, _res: Response, next: NextFunction): void {
  if (req.url.length > MAX_URL_BYTES) {
    return next(new AppError('uri_too_long', `the request target is longer than ${MAX_URL_BYTES} bytes; send fewer or shorter query parameters`, 414));
  }
  next();
}
