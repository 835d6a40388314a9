import type { Links } from '../links.js';
import { renderEmail, type EmailRenderer } from '../notify/index.js';
import { reportLinks, valueReportMessages } from './deliver.js';
import type { ValueReportModel } from './value-report.js';

/** A value report as the email shows it: subject, HTML and plain text. */
export interface RenderedValueReport {
  subject: string;
  html: string;
  text: string;
}

/**
 * Renders a report exactly as its email (templates/report-value.*.hbs through the email
 * path, links signed for the tenant), for GET /v1/reports/value?format=html and
 * `syncwatch report --format html|text`.
 */
export function renderValueReport(model: ValueReportModel, links: Links, renderer: EmailRenderer, now: number): RenderedValueReport {
  const { email } = valueReportMessages(model, reportLinks(links, model), `render/${model.tenant}/${model.period.label}`, now);
  return renderEmail(email, renderer, links);
}
