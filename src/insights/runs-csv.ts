import type { RunReport } from './runs-report.js';

type Cell = string | number | boolean | null;

/** Columns of the run report CSV, in order. */
export const REPORT_CSV_COLUMNS = [
  'record_id',
  'record_type',
  'status',
  'time',
  'value',
  'currency',
  'failure_category',
  'failure_code',
  'message',
  'resolved_by_later_sync',
] as const;

// Spreadsheets run a cell that starts like a formula; business ids and messages come from
// outside, so such text gets a leading apostrophe (OWASP "CSV injection"). Numbers are left alone.
const FORMULA_START = /^[=+\-@\t\r]/;
const NUMERIC = /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** One CSV field per RFC 4180: quoted when it holds a comma, quote, CR or LF (quotes doubled). */
export function csvField(value: Cell): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text) && !NUMERIC.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV text with a header line and CRLF line ends (RFC 4180). */
export function toCsv(header: readonly string[], rows: readonly Cell[][]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** The run report as CSV: one line per record attempt; the message is the failure or the skip reason. */
export function renderRunReportCsv(report: RunReport): string {
  return toCsv(
    REPORT_CSV_COLUMNS,
    report.records.map((r) => [
      r.record_id,
      r.record_type,
      r.status,
      r.time,
      r.value,
      r.currency,
      r.failure?.category ?? null,
      r.failure?.code ?? null,
      r.failure?.message ?? r.skip_reason,
      r.resolved_by_later_sync,
    ]),
  );
}
