import ipaddr from 'ipaddr.js';
import type { FailureSignals } from './types.js';

/** What the rules match against, worked out once per failure from its signals. */
export interface PreparedSignals {
  signals: FailureSignals;
  /** The HTTP status sent, else one found in a JSON error body or a numeric `error.type`. */
  httpStatus?: number;
  /** Lower-cased vendor codes: the error's code and type, and codes found in the message. */
  codes: Set<string>;
  /** `local`: the runner's own dependency (loopback/private address); `remote`: another host. */
  target?: 'local' | 'remote';
  /** Outbound call, as sent or implied by a remote target. */
  outbound?: boolean;
  /** Why `target` is what it is, for explanations. */
  targetReason?: string;
}

/**
 * Ports of the stores and queues a runner keeps next to it. A loopback or private address
 * in a message counts as the runner's own only with one of these ports: the same address
 * with port 443 or 8080 is as likely a partner's on-premises system or a local proxy.
 */
const DEPENDENCY_PORTS = new Set([6379, 26379, 5432, 6432, 3306, 1433, 27017, 9092, 5672, 11211, 4222, 2181, 9200, 8123, 9000, 4317, 4318]);

// Keys whose string values in a JSON error body are codes (Salesforce errorCode, Slack error, Google status, …).
const CODE_KEYS = /^(?:o:)?(?:error_?code|code|error|error_?type|type|reason|status|category|sub_?category|title|decline_code)$/i;
const MAX_CODES = 24;

/** Prepares a failure's signals: JSON bodies parsed, codes collected, the target host placed. */
export function prepareSignals(s: FailureSignals): PreparedSignals {
  const codes = new Set<string>();
  if (s.code) codes.add(s.code.toLowerCase());
  if (s.errorType) codes.add(s.errorType.toLowerCase());
  const out: PreparedSignals = { signals: s, codes, httpStatus: s.httpStatus, outbound: s.outbound };
  const message = s.message ?? '';
  if (message) collectMessageCodes(message, out);
  if (out.httpStatus === undefined && s.errorType && /^[1-5]\d\d$/.test(s.errorType)) out.httpStatus = Number(s.errorType);
  placeTarget(s, message, out);
  if (out.target === 'remote') out.outbound = true;
  return out;
}

function collectMessageCodes(message: string, out: PreparedSignals): void {
  const start = message.search(/[[{]/);
  // From the first bracket to the last: a JSON body with text around it ("HTTP 400: {…} (attempt 2)") still parses.
  const end = Math.max(message.lastIndexOf('}'), message.lastIndexOf(']'));
  if (start >= 0 && end > start) {
    try {
      walk(JSON.parse(message.slice(start, end + 1)), out, 0);
    } catch {
      // Not JSON: the regexes still see the raw message.
    }
  }
  const lead = /^([A-Z][A-Z0-9_]{3,}):/.exec(message);
  if (lead) out.codes.add(lead[1].toLowerCase());
  for (const m of message.matchAll(/<[\w]*:?code>([^<]{1,60})</g)) out.codes.add(m[1].toLowerCase());
  const kv = /\berrorCode=(\w+)/.exec(message);
  if (kv) out.codes.add(kv[1].toLowerCase());
}

function walk(value: unknown, out: PreparedSignals, depth: number): void {
  if (depth > 6 || out.codes.size >= MAX_CODES || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value.slice(0, 10)) walk(item, out, depth + 1);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'object') walk(v, out, depth + 1);
    else if (!CODE_KEYS.test(key)) continue;
    else if (typeof v === 'string' && v.length <= 80) out.codes.add(v.toLowerCase());
    else if (typeof v === 'number') {
      out.codes.add(String(v));
      if (out.httpStatus === undefined && /^(status|code|errorcode|statuscode)$/i.test(key) && v >= 400 && v <= 599) out.httpStatus = v;
    }
  }
}

function placeTarget(s: FailureSignals, message: string, out: PreparedSignals): void {
  const host = s.serverAddress ?? hostOf(s.url);
  if (host) {
    const attr = s.serverAddress !== undefined ? 'server.address' : 'url.full';
    if (!isLocalHost(host)) {
      out.target = 'remote';
      out.targetReason = `${attr} ${host} is a remote host`;
      return;
    }
    // A known port that is not a store's or queue's leaves the call undecided: a partner's
    // on-premises API reached over a VPN, or a local proxy, also lives on private addresses.
    const port = portOf(s);
    if (port === undefined || DEPENDENCY_PORTS.has(port)) {
      out.target = 'local';
      out.targetReason = `${attr} ${host}${port === undefined ? '' : ` port ${port}`} is loopback/private: the runner's own dependency`;
    }
    return;
  }
  const local = LOCAL_ADDRESS_PORT.exec(message);
  if (local && DEPENDENCY_PORTS.has(Number(local[2]))) {
    out.target = 'local';
    out.targetReason = `the message names ${local[1]} port ${local[2]}, a store or queue next to the runner`;
    return;
  }
  const remote = [...message.matchAll(/(?:^|[^\d.])(\d{1,3}(?:\.\d{1,3}){3}):\d{2,5}\b/g)].at(-1);
  if (remote && ipaddr.isValid(remote[1]) && !LOCAL_RANGES.has(ipaddr.parse(remote[1]).range())) {
    out.target = 'remote';
    out.targetReason = `the message names the public address ${remote[1]}`;
  }
}

/** `server.port`, else the port of `url.full` (its scheme's default when none is written). */
function portOf(s: FailureSignals): number | undefined {
  const attr = Number(s.attributes?.['server.port']);
  if (Number.isInteger(attr) && attr > 0) return attr;
  if (!s.url) return undefined;
  try {
    const u = new URL(s.url);
    return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : u.protocol === 'http:' ? 80 : undefined;
  } catch {
    return undefined;
  }
}

const LOCAL_ADDRESS_PORT =
  /\b(localhost|127\.\d+\.\d+\.\d+|::1|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(?:1[6-9]|2\d|3[01])\.\d+\.\d+)\W{1,4}(?:port\s+)?(\d{2,5})\b/i;

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '') || undefined;
  } catch {
    return undefined;
  }
}

// Documentation ranges (198.51.100.0/24, …) are "reserved", not local: examples use them for partners.
const LOCAL_RANGES = new Set(['loopback', 'private', 'linkLocal', 'uniqueLocal', 'unspecified', 'carrierGradeNat']);

/** Loopback, private, link-local or cluster-internal names: the runner's own side. */
export function isLocalHost(host: string): boolean {
  const h = host.toLowerCase();
  if (ipaddr.isValid(h)) {
    return LOCAL_RANGES.has(ipaddr.process(h).range());
  }
  return h === 'localhost' || !h.includes('.') || /\.(?:internal|local|localhost|svc|cluster\.local)$/.test(h);
}
