// Page view models: what the overview, adoption and status pages show, assembled from insights,
// alerts and notify. src/http/pages renders them; nothing here knows about express or HTML.
export { getOverview, countByStatus, CONNECTIONS_SHOWN, type Overview, type OverviewConnection, type OverviewQuery, type StatusCount, type OverviewAlert, type OverviewDelivery, type DeliveryLog, type OverviewFailures } from './overview.js';
export { getAdoptionPage, toAdoptionPage, STEP_LABELS, type AdoptionPage, type IntegrationSection, type FunnelRow, type RankingRow } from './adoption-page.js';
export { getStatusPage, getRunReportPage, getRunReportCsv, adviceFor, getFailingRecords, STATUS_LOOKBACK_DAYS, RECORD_HISTORY_DAYS, RUN_REPORT_ROWS_SHOWN, type StatusPage, type StatusConnection, type RecordSearch, type RunReportPage, type RunReportSection, type Advice, type FailingRecord } from './status-exports.js';
