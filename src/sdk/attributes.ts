/**
 * Attribute names the SDK writes (DESIGN.md §4.1). They mirror `ATTR` in
 * src/ingest/spans.ts; the SDK keeps its own copy so a runner importing it pulls in
 * nothing of the server (a test checks the two stay equal).
 */
export const SDK_ATTR = {
  tenant: 'tenant.id',
  integration: 'integration.id',
  connection: 'integration.connection.id',
  flow: 'integration.flow',
  run: 'integration.run.id',
  recordsTotal: 'integration.run.records_total',
  record: 'record.id',
  recordType: 'record.type',
  recordValue: 'record.value',
  recordCurrency: 'record.currency',
  recordStatus: 'record.status',
  skipReason: 'record.skip_reason',
  failureCategory: 'failure.category',
  failureCode: 'failure.code',
  role: 'syncwatch.span',
} as const;

/** Standard OpenTelemetry attributes the server's failure classification reads. */
export const OTEL_ATTR = {
  httpStatus: 'http.response.status_code',
  retryAfter: 'http.response.header.retry-after',
  errorType: 'error.type',
  serverAddress: 'server.address',
  serverPort: 'server.port',
} as const;
