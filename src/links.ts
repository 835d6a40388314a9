import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Clock } from './clock.js';

// Signed, expiring access to pages (docs/architecture.md#access): alert emails and value reports
// carry links a customer can open without an API key, and a key typed into /login becomes
// a short-lived session cookie of the same form. A token is `<payload>.<signature>`, both
// base64url; the payload names the role, the tenants it may see and when it expires.

/** What a token grants: the same shape as an API key's principal. */
export interface AccessGrant {
  role: 'admin' | 'tenant';
  /** Tenants the grant is limited to; null = all (admin). */
  tenants: string[] | null;
  /** Expiry, epoch ms. */
  expiresAt: number;
}

const payloadSchema = z.object({
  r: z.enum(['admin', 'tenant']),
  t: z.array(z.string()).nullable(),
  e: z.number().int().positive(),
});

const b64 = (buf: Buffer | string) => Buffer.from(buf).toString('base64url');

/** Signs and verifies access tokens with one HMAC-SHA256 secret. */
export class AccessSigner {
  constructor(private readonly secret: Buffer) {}

  sign(grant: AccessGrant): string {
    const payload = b64(JSON.stringify({ r: grant.role, t: grant.tenants, e: Math.floor(grant.expiresAt / 1000) }));
    return `${payload}.${this.mac(payload)}`;
  }

  /** The grant a token carries, or null when it is forged, malformed or expired. */
  verify(token: string, now: number): AccessGrant | null {
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined) return null;
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let parsed: z.infer<typeof payloadSchema>;
    try {
      parsed = payloadSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch {
      return null;
    }
    const expiresAt = parsed.e * 1000;
    if (expiresAt <= now) return null;
    return { role: parsed.r, tenants: parsed.t, expiresAt };
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.secret).update(`syncwatch-access.${payload}`).digest('base64url');
  }
}

/**
 * The signing secret: SYNCWATCH_LINK_SECRET when set (needed when several processes serve
 * pages), else one generated on first start and kept in the data directory, so links in
 * emails already sent stay valid across restarts.
 */
export function loadLinkSecret(configured: string | undefined, dataDir: string): Buffer {
  if (configured) return Buffer.from(configured, 'utf8');
  const file = path.join(dataDir, 'link-secret');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32);
  writeFileSync(file, `${secret.toString('base64url')}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

const DAY = 86_400_000;

/** Absolute links to syncwatch's pages, signed for one tenant where a customer will open them. */
export class Links {
  constructor(
    readonly publicUrl: string,
    private readonly signer: AccessSigner | null,
    private readonly clock: Clock,
    /** How long a link in a message stays valid. */
    readonly ttlMs: number = 14 * DAY,
  ) {}

  /** The tenant's status page. */
  statusPage(tenant: string, opts: { signed?: boolean } = {}): string {
    return this.page(tenant, `/status/${encodeURIComponent(tenant)}`, opts.signed);
  }

  /** The tenant's records that still fail: the full list an alert names the first few of. */
  failingRecords(tenant: string, opts: { signed?: boolean } = {}): string {
    return `${this.statusPage(tenant, opts)}#failing`;
  }

  /** The HTML run/import report of one run. */
  runReport(tenant: string, run: string, opts: { signed?: boolean } = {}): string {
    return this.page(tenant, `/status/${encodeURIComponent(tenant)}/runs/${encodeURIComponent(run)}`, opts.signed);
  }

  /** The value report page for a period (`2026-10`, `2026-W44`) or a from/to range. */
  valueReport(tenant: string, range: { period?: string; from?: string; to?: string }, opts: { signed?: boolean } = {}): string {
    const q = new URLSearchParams();
    if (range.period) q.set('period', range.period);
    if (range.from) q.set('from', range.from);
    if (range.to) q.set('to', range.to);
    const qs = q.toString();
    return this.page(tenant, `/reports/${encodeURIComponent(tenant)}${qs ? `?${qs}` : ''}`, opts.signed);
  }

  private page(tenant: string, pathAndQuery: string, signed = true): string {
    const url = `${this.publicUrl}${pathAndQuery}`;
    if (!signed || !this.signer) return url;
    const token = this.signer.sign({ role: 'tenant', tenants: [tenant], expiresAt: this.clock.now() + this.ttlMs });
    return `${url}${url.includes('?') ? '&' : '?'}access=${token}`;
  }
}
