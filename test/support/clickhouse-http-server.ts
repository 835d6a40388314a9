/**
 * Test-only ClickHouse HTTP endpoint over the embedded engine (chdb), so the remote driver
 * runs through the real `@clickhouse/client`. chdb allows one data directory per process,
 * hence a script: `tsx test/support/clickhouse-http-server.ts <dataDir>` → `LISTENING <port>`.
 */
import http from 'node:http';
import zlib from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Session, version, type RawInsertFormat } from 'chdb';

/** Parameters the HTTP layer consumes; everything else is a setting. */
const HTTP_PARAMS = new Set(['query', 'database', 'default_format', 'query_id', 'session_id',
  'session_timeout', 'session_check', 'user', 'password', 'role', 'compress', 'decompress',
  'buffer_size', 'wait_end_of_query', 'enable_http_compression', 'http_zlib_compression_level',
  'send_progress_in_http_headers', 'http_headers_progress_interval_ms', 'http_response_buffer_size',
  'readonly']); // readonly via SET could never be reset, so it is not applied
const RAW_INSERT_FORMATS = new Set(['JSONEachRow', 'JSONCompactEachRow', 'CSV', 'CSVWithNames',
  'TSV', 'TabSeparated', 'TSVWithNames', 'TabSeparatedWithNames']);
const INSERT_RE = /^\s*INSERT\s+INTO\s+(\w+(?:\.\w+)?)\s*(?:\(([\w\s,`]*)\))?\s*FORMAT\s+(\w+)\s*$/i;
/** ClickHouse answers these exception codes with 400 / 404 rather than 500. */
const STATUS_400 = new Set([6, 26, 27, 36, 38, 41, 42, 43, 44, 53, 62, 69, 115, 130, 456, 457]);
const STATUS_404 = new Set([16, 46, 47, 50, 60, 81]);
const ENGINE_VERSION = version().libchdb.replace(/"/g, '');

class ShimError extends Error {
  constructor(readonly code: number, readonly type: string, message: string, readonly status?: number) {
    super(message);
  }
}

/** The client's Tuple marker; chdb recognises it by constructor name and binds `(a,b)`. */
class TupleParam {
  constructor(readonly values: unknown[]) {}
}

interface Outcome { body: Buffer; format: string; summary: Record<string, number> }

const session = new Session(process.argv[2]);
let currentDatabase = 'default';
let chain: Promise<unknown> = Promise.resolve();

/** One request at a time: USE and SET are connection state shared by every query. */
function exclusive<T>(run: () => Promise<T>): Promise<T> {
  const next = chain.then(run);
  chain = next.catch(() => undefined);
  return next;
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', 0: '\0',
  a: '\x07', v: '\v', e: '\x1b', N: '' };

/** Undoes ClickHouse's Escaped text format, keeping the backslash where the server would. */
function unescapeText(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|[\s\S])/g, (_, e: string) => {
    if (e.length === 3) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (e in ESCAPES) return ESCAPES[e];
    return '\\\'"`/'.includes(e) ? e : `\\${e}`;
  });
}

/** Parses the client's Array/Map/Tuple literal back into JS values chdb re-serialises alike. */
function parseLiteral(text: string): unknown {
  let i = 0;
  const fail = (why: string) => new ShimError(457, 'BAD_QUERY_PARAMETER', `Cannot parse ${text}: ${why}`);
  const skip = () => { while (/\s/.test(text[i] ?? '')) i++; };
  const expect = (c: string) => { skip(); if (text[i++] !== c) throw fail(`expected ${c} at ${i - 1}`); };
  const quoted = (): string => {
    let out = '';
    for (i++; i < text.length; i++) {
      const c = text[i];
      if (c === "'" && text[i + 1] === "'") { out += "'"; i++; continue; }
      if (c === "'") { i++; return unescapeText(out); }
      out += c;
      if (c === '\\') out += text[++i] ?? '';
    }
    throw fail('unterminated string');
  };
  const items = (close: string, item: () => void) => {
    i++; skip();
    if (text[i] === close) { i++; return; }
    for (;;) { item(); skip(); if (text[i] === close) { i++; return; } expect(','); }
  };
  const value = (): unknown => {
    skip();
    const c = text[i];
    if (c === "'") return quoted();
    if (c === '[' || c === '(') {
      const list: unknown[] = [];
      items(c === '[' ? ']' : ')', () => list.push(value()));
      return c === '[' ? list : new TupleParam(list);
    }
    if (c === '{') {
      const map = new Map<unknown, unknown>();
      items('}', () => { const k = value(); expect(':'); map.set(k, value()); });
      return map;
    }
    const token = /^[^,\])}:\s]+/.exec(text.slice(i))?.[0];
    if (!token) throw fail(`unexpected ${c ?? 'end'} at ${i}`);
    i += token.length;
    if (/^null$/i.test(token)) return null;
    if (/^(true|false)$/i.test(token)) return token.toLowerCase() === 'true';
    if (/^[-+]?\d+$/.test(token)) return BigInt(token);
    if (String(Number(token)) !== token) throw fail(`the shim cannot re-bind ${token} exactly`);
    return Number(token);
  };
  const result = value();
  skip();
  if (i !== text.length) throw fail(`trailing text at ${i}`);
  return result;
}

/**
 * chdb TSV-escapes a string before binding it, while the client already sent the
 * escaped form; hand chdb a value that reaches the engine as the client's exact text.
 */
function bindValue(raw: string, sql: string, name: string): unknown {
  if (raw === '\\N') return null;
  if (!raw.includes('\\')) return raw;
  const declared = new RegExp(`\\{\\s*${name}\\s*:\\s*([^}]+)\\}`).exec(sql)?.[1].trim() ?? 'String';
  const type = declared.replace(/^(?:(?:Nullable|LowCardinality)\()+/, '');
  return /^(Array|Map|Tuple|Nested)\s*\(/.test(type) ? parseLiteral(raw) : unescapeText(raw);
}

const quoteString = (v: string) => `'${v.replace(/[\\']/g, (c) => `\\${c}`)}'`;

/** Runs one request's SQL with its database, settings and bound parameters. */
async function execute(fields: URLSearchParams, body: Buffer): Promise<Outcome> {
  const urlQuery = fields.get('query') ?? '';
  const bodyText = body.toString('utf8');
  const sql = urlQuery && body.length ? `${urlQuery}\n${bodyText}` : urlQuery || bodyText;
  const params: Record<string, unknown> = {};
  const settings: [string, string][] = [];
  for (const [key, value] of fields) {
    if (!/^\w+$/.test(key)) throw new ShimError(115, 'UNKNOWN_SETTING', `Unknown setting '${key}'`);
    if (key.startsWith('param_')) params[key.slice(6)] = bindValue(value, sql, key.slice(6));
    else if (!HTTP_PARAMS.has(key)) settings.push([key, value]);
  }
  const defaultFormat = fields.get('default_format') || 'TabSeparated';
  const database = fields.get('database') || 'default';
  if (database !== currentDatabase) {
    await session.queryAsync(`USE \`${database.replace(/[\\`]/g, (c) => `\\${c}`)}\``);
    currentDatabase = database;
  }
  const applied: string[] = [];
  try {
    for (const [key, value] of settings) {
      await session.queryAsync(`SET ${key} = ${quoteString(value)}`);
      applied.push(key);
    }
    const insert = INSERT_RE.exec(urlQuery);
    const columns = insert?.[2]?.split(',').map((c) => c.trim().replace(/^`(\w+)`$/, '$1'));
    if (insert && body.length && Object.keys(params).length === 0 && RAW_INSERT_FORMATS.has(insert[3])
      && (columns ?? []).every((c) => /^\w+$/.test(c))) {
      const summary = await session.insert({ table: insert[1], columns, format: insert[3] as RawInsertFormat, values: body });
      return { body: Buffer.alloc(0), format: defaultFormat, summary: { written_rows: summary.rowsWritten,
        written_bytes: summary.bytesWritten, elapsed_ns: summary.elapsed * 1e9 } };
    }
    const options = { format: defaultFormat };
    const result = Object.keys(params).length
      ? await session.queryBindAsync(sql, params, options)
      : await session.queryAsync(sql, options);
    const trailing = /^\s*INSERT\b/i.test(sql) ? undefined : /\bFORMAT\s+(\w+)\s*;?\s*$/i.exec(sql)?.[1];
    return { body: Buffer.from(result.bytes()), format: trailing ?? defaultFormat, summary: {
      read_rows: result.rowsRead, read_bytes: result.bytesRead, elapsed_ns: result.elapsed * 1e9 } };
  } finally {
    for (const key of applied) await session.queryAsync(`SET ${key} = DEFAULT`).catch(() => undefined);
  }
}

/** Collects multipart/form-data parts (the client's way of sending long `param_*`). */
function readMultipart(body: Buffer, contentType: string, fields: URLSearchParams): void {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new ShimError(36, 'BAD_ARGUMENTS', 'multipart body without boundary', 400);
  for (const part of body.toString('utf8').split(`--${boundary}`).slice(1, -1)) {
    const split = part.indexOf('\r\n\r\n');
    const name = /name="([^"]+)"/.exec(part.slice(0, split))?.[1];
    if (name) fields.set(name, part.slice(split + 4, part.endsWith('\r\n') ? -2 : undefined));
  }
}

const DECODERS: Record<string, (b: Buffer) => Promise<Buffer>> = { gzip: promisify(zlib.gunzip),
  br: promisify(zlib.brotliDecompress), identity: async (b) => b };

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const decode = DECODERS[req.headers['content-encoding'] ?? 'identity'];
  if (!decode) throw new ShimError(1001, 'STD_EXCEPTION', `Unknown encoding ${req.headers['content-encoding']}`);
  return decode(Buffer.concat(chunks));
}

/** Accepts any user; with SHIM_PASSWORD set, the password must match it. */
function checkAuth(req: http.IncomingMessage, url: URL): void {
  const expected = process.env.SHIM_PASSWORD;
  if (expected === undefined) return;
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const fromBasic = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':').slice(1).join(':') : undefined;
  const given = fromBasic ?? req.headers['x-clickhouse-key'] ?? url.searchParams.get('password') ?? '';
  if (given !== expected) {
    throw new ShimError(516, 'AUTHENTICATION_FAILED',
      'default: Authentication failed: password is incorrect, or there is no user with such name', 401);
  }
}

async function respond(req: http.IncomingMessage, res: http.ServerResponse, out: Outcome, gzipOk: boolean) {
  // result_rows stays 0: the engine reports rows read, not rows returned.
  const summary = { read_rows: 0, read_bytes: 0, written_rows: 0, written_bytes: 0, total_rows_to_read: 0,
    result_rows: 0, result_bytes: out.body.length, ...out.summary };
  res.setHeader('X-ClickHouse-Summary', JSON.stringify(summary, (_, v) => typeof v === 'number' ? String(Math.round(v)) : v));
  res.setHeader('X-ClickHouse-Format', out.format);
  res.setHeader('Content-Type', `${out.format.startsWith('JSON') ? 'application/json' : 'text/plain'}; charset=UTF-8`);
  if (gzipOk && /\bgzip\b/.test(String(req.headers['accept-encoding'])) && out.body.length) {
    res.setHeader('Content-Encoding', 'gzip');
    res.end(await promisify(zlib.gzip)(out.body));
    return;
  }
  res.end(out.body);
}

function respondError(res: http.ServerResponse, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ShimError ? error.code : Number(/^Code: (\d+)\./.exec(message)?.[1] ?? 1001);
  const text = error instanceof ShimError ? `Code: ${code}. DB::Exception: ${message}. (${error.type})`
    : /^Code: \d+\./.test(message) ? message : `Code: 1001. DB::Exception: ${message}. (STD_EXCEPTION)`;
  const status = error instanceof ShimError ? error.status : undefined;
  res.statusCode = status ?? (STATUS_400.has(code) ? 400 : STATUS_404.has(code) ? 404 : 500);
  res.setHeader('X-ClickHouse-Exception-Code', String(code));
  res.setHeader('Content-Type', 'text/plain; charset=UTF-8');
  res.end(`${text} (version ${ENGINE_VERSION})\n`);
}

// Query parameters travel in the URL; a real server takes URIs up to 1 MiB (http_max_uri_size).
const server = http.createServer({ maxHeaderSize: 1024 * 1024 + 16 * 1024 }, (req, res) => {
  const url = new URL(req.url ?? '/', 'http://shim');
  if (url.pathname.endsWith('/ping')) {
    res.end('Ok.\n');
    return;
  }
  res.setHeader('X-ClickHouse-Query-Id', url.searchParams.get('query_id') || randomUUID());
  (async () => {
    checkAuth(req, url);
    let body = await readBody(req);
    const fields = new URLSearchParams(url.searchParams);
    const contentType = req.headers['content-type'] ?? '';
    if (contentType.startsWith('multipart/form-data')) {
      readMultipart(body, contentType, fields);
      body = Buffer.alloc(0);
    }
    if (!fields.get('query') && body.length === 0) {
      res.end('Ok.\n');
      return;
    }
    const out = await exclusive(() => execute(fields, body));
    await respond(req, res, out, fields.get('enable_http_compression') === '1');
  })().catch((error: unknown) => respondError(res, error));
});
server.keepAliveTimeout = 10_000;

let closing = false;
function shutdown(): void {
  if (closing) return;
  closing = true;
  server.close();
  server.closeAllConnections();
  void chain.finally(() => {
    session.close();
    process.exit(0);
  });
}
process.on('SIGTERM', shutdown).on('SIGINT', shutdown);
// A parent that dies without stop() (a crashed test run) must not leave us orphaned.
const parentPid = process.ppid;
setInterval(() => { if (process.ppid !== parentPid) shutdown(); }, 1000).unref();

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`LISTENING ${typeof address === 'object' && address ? address.port : 0}\n`);
});
