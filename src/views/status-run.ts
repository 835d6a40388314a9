import { formatDuration } from '../format/index.js';
import { getRunReport, renderRunReportCsv, type ReportRecord, type RunSummary } from '../insights/index.js';
import type { Driver } from '../store/index.js';

// The HTML run/import report (docs/architecture.md#pages-and-reports): the run report split by outcome for people.
// A page lists at most ROWS_SHOWN records per outcome; the CSV has every record.

/** Rows a page shows per outcome; the rest are in the CSV. */
export const RUN_REPORT_ROWS_SHOWN = 500;
/** Record attempts read for the page: enough for every row shown unless one outcome floods the run. */
const PAGE_READ_LIMIT = 20_000;
/** Record attempts in a CSV download (the API's maximum). */
const CSV_READ_LIMIT = 100_000;

/** How long a run took, through the one duration format; "still running" for null. */
export const runDurationWords = (ms: number | null): string => (ms === null ? 'still running' : formatDuration(ms));

/** The records of one outcome, capped for the page. */
export interface RunReportSection {
  records: ReportRecord[];
  /** Records of this outcome in the run, as its counters say (may exceed what was read). */
  total: number;
  /** True when the section shows fewer records than the run has. */
  capped: boolean;
}

/** What the run report page shows. */
export interface RunReportPage {
  run: RunSummary & { duration: string };
  failed: RunReportSection;
  skipped: RunReportSection;
  synced: RunReportSection;
  /** Failed records a later attempt synced. */
  resolved_later: number;
  /**
   * Records the run said it had (`records_total`) but never reported as synced, failed or
   * skipped — a run that failed before reaching them; the page says so rather than
   * showing a count above empty lists.
   */
  not_processed: number;
}

function section(all: ReportRecord[], status: ReportRecord['status'], counted: number): RunReportSection {
  const records = all.filter((r) => r.status === status);
  const total = Math.max(counted, records.length);
  const shown = records.slice(0, RUN_REPORT_ROWS_SHOWN);
  return { records: shown, total, capped: shown.length < total };
}

/** The run report of one run of a tenant, split by outcome; null when the tenant has no such run. */
export async function getRunReportPage(driver: Driver, q: { tenant: string; run: string }): Promise<RunReportPage | null> {
  const report = await getRunReport(driver, { tenant: q.tenant, run: q.run, limit: PAGE_READ_LIMIT });
  if (!report) return null;
  const { run, records } = report;
  return {
    run: { ...run, duration: runDurationWords(run.duration_ms) },
    failed: section(records, 'failed', run.records.failed),
    skipped: section(records, 'skipped', run.records.skipped),
    synced: section(records, 'synced', run.records.synced),
    resolved_later: records.filter((r) => r.status === 'failed' && r.resolved_by_later_sync).length,
    not_processed: run.outcome === 'running' ? 0 : Math.max(0, run.records_total - run.records.synced - run.records.failed - run.records.skipped),
  };
}

/** The run report of one run of a tenant as CSV (every record); null when the tenant has no such run. */
export async function getRunReportCsv(driver: Driver, q: { tenant: string; run: string }): Promise<string | null> {
  const report = await getRunReport(driver, { tenant: q.tenant, run: q.run, limit: CSV_READ_LIMIT });
  return report ? renderRunReportCsv(report) : null;
}
