/**
 * The span and log attribute names of the runner contract: the one copy. The SDK writes
 * them and the syncwatch service reads them (it imports this module from the package), so
 * the two cannot disagree.
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
