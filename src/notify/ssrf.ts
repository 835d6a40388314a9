import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { AppError } from '../errors.js';

/** A webhook URL syncwatch will not call (SSRF guard), or one that does not resolve. */
export class WebhookUrlError extends AppError {
  constructor(message: string, retryable = false) {
    super('webhook_url_refused', message, 400, retryable);
    this.name = 'WebhookUrlError';
  }
}

/** One resolved address of a webhook host. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** A webhook URL that passed the guard, with the addresses it was checked against (connect only to these). */
export interface CheckedWebhookUrl {
  url: URL;
  addresses: ResolvedAddress[];
}

/** Resolves a host name to all its addresses (injectable for tests). */
export type HostLookup = (hostname: string) => Promise<ResolvedAddress[]>;

const systemLookup: HostLookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

// Addresses a customer-supplied URL must not reach: this host, private networks, link-local
// (cloud metadata at 169.254.169.254), CGNAT, unique-local, multicast, unspecified, reserved
// and documentation ranges. IPv4 embedded in IPv6 (mapped, NAT64) is checked as IPv4
// (not blocked as a range: BlockList itself matches IPv4 against ::ffff:0:0/96 rules).
const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) BLOCKED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 96], ['100::', 64], ['2001:db8::', 32],
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) BLOCKED.addSubnet(net, prefix, 'ipv6');

/** The 16 bytes of an IPv6 address (with or without a dotted IPv4 tail). */
function ipv6Bytes(address: string): number[] {
  let text = address.split('%')[0];
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail[1].split('.').map(Number);
    text = text.slice(0, -tail[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const parse = (s: string | undefined) => (s ? s.split(':').filter(Boolean).map((h) => parseInt(h, 16)) : []);
  const left = parse(head);
  const right = parse(rest);
  const groups = rest === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) address. */
function embeddedIpv4(address: string): string | null {
  const b = ipv6Bytes(address);
  const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  const nat64 = b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && b.slice(4, 12).every((x) => x === 0);
  return mapped || nat64 ? b.slice(12).join('.') : null;
}

/** The allow list, parsed: host names, and IPs / CIDRs in a BlockList. */
interface Allowed {
  hosts: Set<string>;
  nets: BlockList;
}

const parsedAllow = new WeakMap<readonly string[], Allowed>();

/** Parses SYNCWATCH_WEBHOOK_ALLOW entries: host names, IP addresses and CIDRs (v4 and v6). */
function parseAllow(allow: readonly string[]): Allowed {
  const cached = parsedAllow.get(allow);
  if (cached) return cached;
  const result: Allowed = { hosts: new Set(), nets: new BlockList() };
  for (const raw of allow) {
    const entry = raw.trim().toLowerCase().replace(/^\[|\]$/g, '');
    if (!entry) continue;
    const [ip, prefix] = entry.split('/');
    const family = isIP(ip);
    if (family && prefix !== undefined && /^\d+$/.test(prefix)) result.nets.addSubnet(ip, Number(prefix), family === 6 ? 'ipv6' : 'ipv4');
    else if (family) result.nets.addAddress(ip, family === 6 ? 'ipv6' : 'ipv4');
    else result.hosts.add(entry);
  }
  parsedAllow.set(allow, result);
  return result;
}

/** Is this address one a webhook may reach (public, or explicitly allowed)? */
export function isAddressAllowed(address: string, allow: readonly string[] = []): boolean {
  const family = isIP(address);
  if (!family) return false;
  const type = family === 6 ? 'ipv6' : 'ipv4';
  const inner = family === 6 ? embeddedIpv4(address) : null;
  const blocked = BLOCKED.check(address, type) || (inner !== null && BLOCKED.check(inner, 'ipv4'));
  if (!blocked) return true;
  const { nets } = parseAllow(allow);
  return nets.check(address, type) || (inner !== null && nets.check(inner, 'ipv4'));
}

/**
 * The SSRF guard (docs/architecture.md#key-decisions): the URL must be http(s), and every address its host
 * resolves to must be public, unless the host, the IP or a CIDR containing it is in
 * `allow` (SYNCWATCH_WEBHOOK_ALLOW). Throws WebhookUrlError (400) when refused. Called
 * when a subscription is saved and again before every send (DNS may have changed);
 * the sender then connects only to the addresses returned here.
 */
export async function checkWebhookUrl(
  raw: string,
  allow: readonly string[] = [],
  lookup: HostLookup = systemLookup,
): Promise<CheckedWebhookUrl> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlError('the webhook URL is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new WebhookUrlError(`webhook URLs must be http or https, not ${url.protocol.replace(/:$/, '')}`);
  }
  // Refused here too (not only by the schemas) so a URL saved before this rule is never called with them.
  if (url.username !== '' || url.password !== '') {
    throw new WebhookUrlError('webhook URLs must not carry credentials (user:password@); the receiver checks the signature instead');
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const literal = isIP(host);
  let addresses: ResolvedAddress[];
  if (literal) addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  else {
    try {
      addresses = await lookup(host);
    } catch (err) {
      throw new WebhookUrlError(`the webhook host ${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'DNS error'})`, true);
    }
    if (addresses.length === 0) throw new WebhookUrlError(`the webhook host ${host} does not resolve`, true);
  }
  if (parseAllow(allow).hosts.has(host)) return { url, addresses };
  const refused = addresses.find((a) => !isAddressAllowed(a.address, allow));
  if (refused) {
    throw new WebhookUrlError(
      `the webhook host ${host} resolves to ${refused.address}, a private, loopback, link-local or reserved address; ` +
        'syncwatch does not call those unless SYNCWATCH_WEBHOOK_ALLOW lists the host or address',
    );
  }
  return { url, addresses };
}
