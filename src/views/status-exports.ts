// The status page and run report modules' exports, gathered for src/views/index.ts.
export { getStatusPage, STATUS_LOOKBACK_DAYS, RECORD_HISTORY_DAYS, type StatusPage, type StatusConnection, type RecordSearch } from './status.js';
export { getRunReportPage, getRunReportCsv, RUN_REPORT_ROWS_SHOWN, type RunReportPage, type RunReportSection } from './status-run.js';
export { adviceFor, type Advice } from './status-advice.js';
export { getFailingRecords, type FailingRecord } from './status-records.js';
