import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { ApiKeyConfig } from '../config.js';
import { AppError, badRequest, forbidden, unauthorized } from '../errors.js';

export type Role = 'admin' | 'ingest' | 'tenant';

/** What a request's key allows, put on `res.locals.principal`. */
export interface Principal {
  role: Role;
  /** Tenants the key is limited to; null = all. */
  tenants: ReadonlySet<string> | null;
}

interface StoredKey {
  hash: Buffer;
  principal: Principal;
}

const hashKey = (key: string) => createHash('sha256').update(key).digest();

/** Keys are kept only as SHA-256 hashes and compared in constant time. */
export class KeyRing {
  private readonly keys: StoredKey[];

  constructor(keys: readonly ApiKeyConfig[]) {
    this.keys = keys.map((k) => ({
      hash: hashKey(k.key),
      principal: { role: k.role, tenants: k.tenants ? new Set(k.tenants) : null },
    }));
  }

  /** With no keys configured the API is open (local demo); every request is admin. */
  get open(): boolean {
    return this.keys.length === 0;
  }

  find(presented: string): Principal | null {
    const h = hashKey(presented);
    let match: Principal | null = null;
    for (const k of this.keys) if (timingSafeEqual(k.hash, h)) match = k.principal;
    return match;
  }
}

const ADMIN: Principal = { role: 'admin', tenants: null };

/**
 * The principal an `Authorization` header value grants, or the 401/403 AppError to answer
 * with. Shared by the HTTP middleware and the OTLP/gRPC server (its `authorization` metadata).
 */
export function authorize(ring: KeyRing, header: string, roles: Role[]): Principal | AppError {
  if (ring.open) return ADMIN;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) return unauthorized();
  const principal = ring.find(m[1]);
  if (!principal) return unauthorized('the API key is not valid');
  if (principal.role !== 'admin' && !roles.includes(principal.role)) {
    return forbidden(`this key's role (${principal.role}) may not do this; needs ${roles.join(' or ')}`);
  }
  return principal;
}

/** Middleware: the request must carry a key with one of these roles. */
export function requireRole(ring: KeyRing, ...roles: Role[]) {
  return (req: Request, res: Response, next: NextFunction) => {
    const result = authorize(ring, req.get('authorization') ?? '', roles);
    if (result instanceof AppError) return next(result);
    res.locals.principal = result;
    next();
  };
}

/**
 * The tenant a /v1 read covers. Admin keys read any tenant (omitted: every tenant);
 * `tenant` keys read their own: omitted means their own tenant, another tenant is 403. A
 * key for several tenants must name one (400), so an answer never mixes tenants silently.
 */
export function readableTenant(res: Response, requested: string | undefined): string | undefined {
  const principal = res.locals.principal as Principal;
  if (principal.role === 'admin' || principal.tenants === null) return requested;
  if (requested !== undefined) {
    if (!principal.tenants.has(requested)) throw forbidden(`this key may not read tenant "${requested}"`);
    return requested;
  }
  if (principal.tenants.size === 1) return [...principal.tenants][0];
  throw badRequest('invalid_parameter', 'tenant: is required: this key reads several tenants');
}
