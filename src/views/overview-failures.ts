import { CATEGORY_LABELS, FAILURE_CATEGORIES, type FailureCategory } from '../vocabulary/index.js';
import type { FailuresReport } from '../insights/index.js';
import { PALETTE, stackedBarChart } from '../reports/index.js';

// The failures part of the operator overview: the stacked chart of failures by category
// over time, the totals per category and the most frequent failure codes.

/** How a failure category reads on an operator's page (the code stays beside it). */
const CATEGORY_LABEL = CATEGORY_LABELS.operator;

/** One category's total over the window. */
export interface CategoryTotal {
  category: FailureCategory;
  label: string;
  colour: string;
  count: number;
}

/** One category and code among the most frequent failures. */
export interface TopFailure {
  category: FailureCategory | string;
  categoryLabel: string;
  code: string;
  count: number;
  affectedRecords: number;
  affectedRuns: number;
  lastSeen: string;
  /** One example message, to say what the failure looks like. */
  example: string | null;
}

/** The failures section of the overview. */
export interface OverviewFailures {
  total: number;
  byCategory: CategoryTotal[];
  top: TopFailure[];
  bucket: 'hour' | 'day';
  /** Inline SVG (safe markup), or null when there were no failures to draw. */
  chart: string | null;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A UTC bucket start as a short label: "Nov 22 10:00" per hour, "Nov 22" per day. */
export function bucketLabel(iso: string, unit: 'hour' | 'day'): string {
  const d = new Date(iso);
  const day = `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
  return unit === 'day' ? day : `${day} ${String(d.getUTCHours()).padStart(2, '0')}:00`;
}

const TOP_FAILURES = 8;

/** Shapes a failures report into the overview's section (chart, totals, top codes). */
export function overviewFailures(report: FailuresReport): OverviewFailures {
  const byCategory = FAILURE_CATEGORIES.map((category) => ({
    category,
    label: CATEGORY_LABEL[category],
    colour: PALETTE[category],
    count: report.by_category[category] ?? 0,
  }));
  const top = [...report.groups]
    .sort((a, b) => b.count - a.count || a.category.localeCompare(b.category) || a.code.localeCompare(b.code))
    .slice(0, TOP_FAILURES)
    .map((g) => ({
      category: g.category,
      categoryLabel: CATEGORY_LABEL[g.category as FailureCategory] ?? g.category,
      code: g.code,
      count: g.count,
      affectedRecords: g.affected_records,
      affectedRuns: g.affected_runs,
      lastSeen: g.last_seen,
      example: g.examples[0]?.message ?? null,
    }));
  const chart =
    report.total > 0
      ? stackedBarChart(
          report.series.map((p) => ({ label: bucketLabel(p.time, report.bucket), values: { infra: p.infra, endpoint: p.endpoint, data: p.data } })),
          byCategory.map((c) => ({ key: c.category, label: c.label, colour: c.colour })),
          { title: `Failures by category per ${report.bucket} (UTC)`, width: 720, height: 180 },
        )
      : null;
  return { total: report.total, byCategory, top, bucket: report.bucket, chart };
}
