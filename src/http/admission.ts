import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { unavailable, type AppError } from '../errors.js';

/**
 * Seconds a client refused at capacity is asked to wait (Retry-After). The work in flight
 * at the limit drains in a second or two on a 2-core machine (bench/RESULTS.md, "ingest
 * admission"); a longer wait leaves the service idle, a shorter one brings the same flood back.
 */
export const AT_CAPACITY_RETRY_AFTER_S = 2;

/** The limits of ingest work in flight (config.ingest: SYNCWATCH_MAX_INFLIGHT_REQUESTS, _BYTES). */
export interface AdmissionLimits {
  maxRequests: number;
  /** Request bodies (after gzip) admitted and not yet answered. */
  maxBytes: number;
}

/** One admitted request's share of the limits; see Admission.tryAdmit. */
export interface Ticket {
  /** Replaces the bytes charged (the declared length) by the body's real size; false when that no longer fits. */
  resize(bytes: number): boolean;
  /** Keeps the ticket while `work` runs, even if the response closes first (a client gave up). */
  during<T>(work: () => Promise<T>): Promise<T>;
  /** The response is done (sent, or its connection closed): frees the share once no work holds it. */
  release(): void;
}

/**
 * Counts ingest work in flight — requests whose bodies are being read, decoded, or waiting
 * for the spool's group commit — across OTLP/HTTP, /v1/events and OTLP/gRPC, which share
 * one event loop and one heap. Beyond the limits a request is refused at once (503 or gRPC
 * UNAVAILABLE, with a time to retry) instead of queueing: under a flood past capacity the
 * queue used to grow without bound, bodies and decoded rows piled up in memory and the
 * loop stalled for every caller, health checks included. A request alone is always
 * admitted, whatever its size, so any body under SYNCWATCH_MAX_BODY_BYTES can get through.
 */
export class Admission {
  requests = 0;
  bytes = 0;

  constructor(readonly limits: AdmissionLimits) {}

  /** Admits a request of `bytes` (its declared body size; 0 when unknown), or null when at capacity. */
  tryAdmit(bytes: number): Ticket | null {
    if (this.requests >= this.limits.maxRequests || !this.fits(bytes)) return null;
    this.requests++;
    this.bytes += bytes;
    return this.ticket(bytes);
  }

  private fits(more: number): boolean {
    return this.requests === 0 || this.bytes + more <= this.limits.maxBytes;
  }

  private ticket(charged: number): Ticket {
    let holds = 0;
    let responded = false;
    let freed = false;
    const free = () => {
      if (freed || !responded || holds > 0) return;
      freed = true;
      this.requests--;
      this.bytes -= charged;
    };
    return {
      resize: (bytes) => {
        if (freed) return true;
        this.bytes -= charged;
        // Alone in flight, any size goes (as at admission).
        const ok = this.requests === 1 || this.bytes + bytes <= this.limits.maxBytes;
        charged = ok ? bytes : 0;
        this.bytes += charged;
        return ok;
      },
      during: async (work) => {
        holds++;
        try {
          return await work();
        } finally {
          holds--;
          free();
        }
      },
      release: () => {
        responded = true;
        free();
      },
    };
  }
}

/** The answer to a request refused at capacity (HTTP 503; gRPC maps it to UNAVAILABLE). */
export function atCapacity(): AppError {
  return unavailable(
    `syncwatch is at capacity: too much ingest work is in flight (SYNCWATCH_MAX_INFLIGHT_REQUESTS, _BYTES); nothing from this request was stored; retry after ${AT_CAPACITY_RETRY_AFTER_S} s`,
    AT_CAPACITY_RETRY_AFTER_S,
  );
}

/**
 * The HTTP side: `admit` runs before the body is read (an answer before any byte of it is
 * decoded; Node then reads and discards the rest, so the connection stays usable and the
 * client sees the 503, not a reset); `admitted` runs the route's work with the body's real
 * size (gzip and chunked bodies declare none) and keeps the share until it ends.
 */
export function ingestAdmission(admission: Admission, refused: () => void) {
  const admit: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const ticket = admission.tryAdmit(Number.isSafeInteger(declared) && declared > 0 ? declared : 0);
    if (!ticket) {
      refused();
      return next(atCapacity());
    }
    res.locals.admission = ticket;
    res.once('close', () => ticket.release());
    next();
  };
  /** Runs `work` for an admitted request whose body (after gzip) is `bodyBytes`; throws the 503 when it no longer fits. */
  const admitted = <T>(res: Response, bodyBytes: number, work: () => Promise<T>): Promise<T> => {
    const ticket = res.locals.admission as Ticket | undefined;
    if (!ticket) return work();
    if (!ticket.resize(bodyBytes)) {
      refused();
      return Promise.reject(atCapacity());
    }
    return ticket.during(work);
  };
  return { admit, admitted };
}
