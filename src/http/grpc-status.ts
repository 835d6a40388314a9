import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { AppError } from '../errors.js';

/*
 * The OTLP/gRPC backpressure signal (OTLP spec, "OTLP/gRPC Throttling"): status UNAVAILABLE
 * with a google.rpc.RetryInfo detail saying how long to wait, carried as the standard
 * `grpc-status-details-bin` trailer (a google.rpc.Status). Exporters that read it (the
 * Collector's, Go's) wait that long; the others back off exponentially on UNAVAILABLE anyway.
 */

const root = protobuf.parse(`
  syntax = "proto3";
  package google.rpc;
  message Any { string type_url = 1; bytes value = 2; }
  message Duration { int64 seconds = 1; int32 nanos = 2; }
  message RetryInfo { Duration retry_delay = 1; }
  message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
`).root;
const Status = root.lookupType('google.rpc.Status');
const RetryInfo = root.lookupType('google.rpc.RetryInfo');

/** Trailers carrying a RetryInfo for an error that has a Retry-After; undefined for one that has none. */
export function retryInfoTrailer(code: grpc.status, err: AppError): grpc.Metadata | undefined {
  const seconds = Number(err.headers['Retry-After']);
  if (!Number.isFinite(seconds)) return undefined;
  const retryInfo = RetryInfo.encode(RetryInfo.create({ retryDelay: { seconds, nanos: 0 } })).finish();
  const status = Status.encode(
    Status.create({ code, message: err.message, details: [{ typeUrl: 'type.googleapis.com/google.rpc.RetryInfo', value: retryInfo }] }),
  ).finish();
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(status));
  return metadata;
}
