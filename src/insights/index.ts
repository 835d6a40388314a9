export { getAdoption, type AdoptionReport, type IntegrationAdoption } from './adoption.js';
export { getHealth, describeWindow, type ConnectionHealth, type FlowHealth, type HealthStatus, type Reason } from './health.js';
export { listRuns, getRun, type RunSummary } from './runs.js';
export { getRunReport, type RunReport, type ReportRecord } from './runs-report.js';
export { renderRunReportCsv } from './runs-csv.js';
export { getFailures, chooseBucket, type FailuresReport, type FailureGroup, type FailureExample } from './failures.js';
export { getValue, getValueByDay, VALUE_GROUPINGS, type ValueReport, type ValueGroup, type ValueGroupBy, type ValueFigures, type Money, type Conversion } from './value.js';
export { checkDate, DATE_WINDOW, previousRange, type TimeRange } from './range.js';
export { getUnknownFailures, type UnknownFailure } from './failure-unknowns.js';
