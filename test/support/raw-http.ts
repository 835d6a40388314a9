import type { Socket } from 'node:net';

/** One HTTP response read off a raw socket, or the socket error or close that came instead. */
export type RawResponse = { status: number; head: string; body: string } | { failed: string };

/** Reads the next HTTP response (Content-Length framed) off a raw socket. */
export function nextResponse(socket: Socket): Promise<RawResponse> {
  return new Promise((resolve) => {
    let buf = '';
    const done = (r: RawResponse) => {
      socket.off('data', onData).off('error', onError).off('close', onClose);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
      if (buf.length - end - 4 < length) return;
      done({ status: Number(buf.slice(9, 12)), head: buf.slice(0, end), body: buf.slice(end + 4, end + 4 + length) });
    };
    const onError = (err: NodeJS.ErrnoException) => done({ failed: err.code ?? err.message });
    const onClose = () => done({ failed: 'closed without an answer' });
    socket.on('data', onData).on('error', onError).on('close', onClose);
  });
}

/** A response as `{status, body}` (or what failed), for comparing with deepEqual. */
export const statusAndBody = (r: RawResponse) => ('failed' in r ? r : { status: r.status, body: r.body });
