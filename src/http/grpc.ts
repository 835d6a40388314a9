import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { OtlpDecodeError, type Ingest } from '../ingest/index.js';
import type { Metrics } from '../metrics.js';
import { atCapacity, type Admission } from './admission.js';
import { authorize, KeyRing } from './auth.js';
import { retryInfoTrailer } from './grpc-status.js';
import { exportLogs, exportTraces } from './otlp.js';

/*
 * OTLP/gRPC (the default transport of several OpenTelemetry SDKs and of most Collector
 * pipelines). The service methods pass raw bytes through grpc-js and decode them with the same
 * protobufjs decoder as OTLP/HTTP, so both transports share one decoder, one ingest path, one
 * auth check (the `authorization` metadata) and one size limit.
 */

/** What the gRPC server needs from the rest of the process. */
export interface GrpcDeps {
  config: Pick<Config, 'host' | 'grpcPort' | 'keys' | 'ingest'>;
  ingest: Ingest;
  metrics: Metrics;
  log: Logger;
  /** The ingest admission limit shared with OTLP/HTTP (main.ts). */
  admission: Admission;
}

/** A running OTLP/gRPC server. */
export interface GrpcServer {
  port: number;
  /** Stops taking calls and lets calls in flight finish (bounded by `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

const bytes = (b: Buffer) => b;

function exportMethod(service: string): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path: `/opentelemetry.proto.collector.${service}/Export`,
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes,
    requestDeserialize: bytes,
    responseSerialize: bytes,
    responseDeserialize: bytes,
  };
}

// The OTLP spec's mapping: refused input is INVALID_ARGUMENT (not retried), a full spool or a
// shutdown is UNAVAILABLE (retried with backoff).
const CODES: Record<number, grpc.status> = {
  400: grpc.status.INVALID_ARGUMENT,
  401: grpc.status.UNAUTHENTICATED,
  403: grpc.status.PERMISSION_DENIED,
  413: grpc.status.RESOURCE_EXHAUSTED,
  429: grpc.status.UNAVAILABLE,
  503: grpc.status.UNAVAILABLE,
};

type ExportFn = typeof exportTraces;

function handler({ ingest, metrics, log, admission }: GrpcDeps, keys: KeyRing, exportFn: ExportFn): grpc.handleUnaryCall<Buffer, Buffer> {
  return (call, callback) => {
    const header = call.metadata.get('authorization').map(String)[0] ?? '';
    const principal = authorize(keys, header, ['ingest']);
    if (principal instanceof AppError) return callback({ code: CODES[principal.status], details: principal.message });
    // grpc-js has read the whole message by now; the limit spares its decoding and the wait for the spool.
    const ticket = admission.tryAdmit(call.request.length);
    if (!ticket) {
      metrics.refusedAtCapacity.inc({ transport: 'grpc' });
      const refusal = atCapacity();
      // The OTLP spec's backpressure signal: UNAVAILABLE, with the delay as a RetryInfo detail.
      return callback({ code: grpc.status.UNAVAILABLE, details: refusal.message, metadata: retryInfoTrailer(grpc.status.UNAVAILABLE, refusal) });
    }
    const work = ticket.during(() => exportFn(ingest, metrics, call.request, 'protobuf', principal.tenants));
    ticket.release(); // no response to wait for: the share is freed when the work ends
    work.then(
      (response) => callback(null, response),
      (err: unknown) => {
        if (err instanceof OtlpDecodeError) return callback({ code: grpc.status.INVALID_ARGUMENT, details: err.message });
        if (err instanceof AppError) {
          const code = CODES[err.status] ?? grpc.status.INTERNAL;
          return callback({ code, details: err.message, metadata: retryInfoTrailer(code, err) });
        }
        metrics.unexpectedErrors.inc();
        log.error({ err, method: call.getPath() }, 'OTLP/gRPC export failed unexpectedly');
        callback({ code: grpc.status.INTERNAL, details: 'internal error' });
      },
    );
  };
}

/** Starts the OTLP/gRPC server (TraceService and LogsService) on the configured host and gRPC port. */
export async function startGrpcServer(deps: GrpcDeps): Promise<GrpcServer> {
  const { host, grpcPort: port } = deps.config;
  const keys = new KeyRing(deps.config.keys);
  // grpc-js logs to stderr on its own; its words go to our log (failures reach the caller anyway).
  grpc.setLogger({ error: (...args: unknown[]) => deps.log.debug({ grpc: args.map(String).join(' ') }, 'grpc-js') });
  const server = new grpc.Server({
    // The same limit as an OTLP/HTTP body (after decompression).
    'grpc.max_receive_message_length': deps.config.ingest.maxBodyBytes,
    'grpc.max_send_message_length': 1024 * 1024,
    // grpc-js shares ports by default (SO_REUSEPORT): a second syncwatch would start silently on a busy port.
    'grpc.so_reuseport': 0,
  });
  server.addService({ Export: exportMethod('trace.v1.TraceService') }, { Export: handler(deps, keys, exportTraces) });
  server.addService({ Export: exportMethod('logs.v1.LogsService') }, { Export: handler(deps, keys, exportLogs) });
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, actual) => {
      if (!err) return resolve(actual);
      // grpc-js says "No address added out of total 1 resolved"; say which port, like listen() does.
      reject(Object.assign(new Error(`gRPC could not listen on ${address}: ${err.message}`), { code: 'EADDRINUSE', address: host, port, cause: err }));
    });
  });
  return {
    port: bound,
    close: (graceMs = 5000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
