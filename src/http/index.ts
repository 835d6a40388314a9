// The network front of syncwatch: the express app (JSON API, OTLP/HTTP, pages) and the OTLP/gRPC server.
export { createApp, admissionFor, type AppDeps } from './app.js';
export type { Admission } from './admission.js';
export { createHttpServer } from './server.js';
export { startGrpcServer, type GrpcDeps, type GrpcServer } from './grpc.js';
