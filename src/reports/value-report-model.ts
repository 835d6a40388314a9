import type { Conversion, Money, ValueFigures } from '../insights/index.js';
import type { Incident, IncidentTotals } from './incidents.js';
import type { ReportPeriod } from './period.js';

// The value report's model: the types the builder (value-report.ts) fills and the words
// (summary.ts) and views (report-view.ts) read. Apart from the builder, so the words can
// read the model without importing the builder that calls them.

/** A figure of the period beside the previous period's, and how it changed (null where it cannot be said). */
export interface Compared<T> {
  current: T;
  previous: T;
  /** current − previous of the figure's measure (money: `total`; time: `minutes`; incidents: `count`). */
  change: number | null;
  /** change ÷ previous; null when the previous period had none. */
  change_ratio: number | null;
}

export type TimeSaved = ValueFigures['time_saved'];
export type MoneyAtRisk = Money & { records: number };
/** Runs that ended: cleanly, with failed records (`partial`), or failed; total is their sum. */
export interface RunCounts {
  total: number;
  succeeded: number;
  partial: number;
  failed: number;
}

/** The report's figures for the tenant as a whole or for one integration. */
export interface ReportFigures {
  records_moved: Compared<number>;
  records_failed: Compared<number>;
  records_skipped: Compared<number>;
  money_moved: Compared<Money>;
  time_saved: Compared<TimeSaved>;
  /** Records failed and not synced since, as of each period's end. */
  value_at_risk: Compared<MoneyAtRisk>;
  runs: Compared<RunCounts>;
  /** Clean successes ÷ finished runs (a partial run is not a success); null without runs. */
  success_rate: Compared<number | null>;
  incidents: Compared<IncidentTotals>;
}

/** A period as the report names it. */
export interface PeriodView {
  kind: ReportPeriod['kind'];
  label: string;
  /** "October 2026", "week 44 of 2026". */
  name: string;
  /** "1 Oct 2026 – 31 Oct 2026". */
  dates: string;
  from: string;
  to: string;
}

/** The value report of one tenant and period (docs/architecture.md#pages-and-reports): a plain JSON model, rendered by templates. */
export interface ValueReportModel {
  tenant: string;
  title: string;
  period: PeriodView;
  previous: PeriodView;
  generated_at: string;
  reporting_currency: string;
  /** No runs, no record activity and no incidents in the period. */
  empty: boolean;
  /** The report in a few plain sentences. */
  summary: string;
  totals: ReportFigures;
  integrations: ({ integration: string } & ReportFigures)[];
  /** One entry per UTC day of the period, for charts. */
  daily: { day: string; records_moved: number; records_failed: number; money_moved: number }[];
  incidents: Incident[];
  /** Currencies of either period without a rate: shown beside the totals, never added to them. */
  unconverted_currencies: string[];
  /** The rates the totals were converted with, and the reference table's date if it was used. */
  conversion: Conversion;
}
