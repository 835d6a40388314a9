import type { FailureCategory } from '../ingest/index.js';
import type { AlertLabels, Audience, Severity } from './model.js';
import { DEFAULT_ACTION, DEFAULT_SUMMARY } from './rules-text.js';
import { thresholdValue, type RawRule, type RuleKind } from './rules-schema.js';

/** A dimension an alert is grouped by: one alert per distinct (tenant, integration, flow) by default. */
export type GroupDimension = 'tenant' | 'integration' | 'flow';

/** What every alert rule has, after defaults are filled. */
export interface AlertRuleBase {
  name: string;
  kind: RuleKind;
  description?: string;
  severity: Severity;
  category: AlertLabels['category'];
  code: string;
  audience: Audience[];
  /** Hold-down before firing and before resolving (milliseconds). */
  forMs: number;
  resolveAfterMs: number;
  groupBy: GroupDimension[];
  summary: string;
  action: string;
  enabled: boolean;
  /** Names of the rules whose alerts this rule's alerts inhibit; absent: the defaults by kind (alerts/inhibit.ts). */
  inhibits?: string[];
  /** Where the rule is written, for messages. */
  source: { file: string; line: number };
}

/** Failure rate (failures ÷ runs ended + record attempts) or failure count over a window. */
export interface ThresholdRule extends AlertRuleBase {
  kind: 'threshold';
  windowMs: number;
  match: { category?: FailureCategory; codes: string[] };
  metric: 'failure_rate' | 'failure_count';
  /** A fraction for failure_rate, a number of failures for failure_count; fires at or above. */
  threshold: number;
  /** Fewest runs ended + record attempts in the window before the rule judges at all. */
  minSample: number;
  /** window: clears when the window holds too few failures; clean_run: when the flow ran clean or the failed records synced since (alerts/evaluate-settle.ts). */
  clearOn: 'window' | 'clean_run';
}

/** The latest N ended runs all failed. */
export interface ConsecutiveFailedRunsRule extends AlertRuleBase {
  kind: 'consecutive_failed_runs';
  runs: number;
}

/** No successful run for more than factor × cadence (cadence as the health insight knows it). */
export interface StaleRule extends AlertRuleBase {
  kind: 'stale';
  factor: number;
  minCadenceMs: number;
}

/** Records synced in the last window fell by `drop` or more against the same window of earlier days. */
export interface VolumeDropRule extends AlertRuleBase {
  kind: 'volume_drop';
  windowMs: number;
  drop: number;
  minBaseline: number;
  baselineDays: number;
}

/** Fires on ingested events (auth.expiring within a horizon, auth.expired, a high-value record…). */
export interface EventRule extends AlertRuleBase {
  kind: 'event';
  event: string;
  horizonMs?: number;
  minValue?: number;
  recordType?: string;
  currency?: string;
  /** Events that resolve an alert this rule raised (not one-shot rules). */
  resolveOn: string[];
  oneShot: boolean;
  /** Events older than this (against `now`) are history, not news: they never notify. */
  maxAgeMs: number;
}

/** One partner's API failing for several tenants at once: one incident per integration (src/incidents). */
export interface PartnerIncidentRule extends AlertRuleBase {
  kind: 'partner_incident';
  windowMs: number;
  codes: string[];
  minTenants: number;
  minShare: number;
  activeWindowMs: number;
}

/** One validated alert rule from alert-rules/*.yaml. */
export type AlertRule = ThresholdRule | ConsecutiveFailedRunsRule | StaleRule | VolumeDropRule | EventRule | PartnerIncidentRule;
/** Rules evaluated on a schedule against the store, one flow group at a time. */
export type WindowRule = Exclude<AlertRule, EventRule | PartnerIncidentRule>;

const DEFAULT_WINDOW_MS = { threshold: 15 * 60_000, volume_drop: 60 * 60_000 } as const;
const DEFAULT_CODE: Record<Exclude<RuleKind, 'threshold' | 'event'>, string> = {
  partner_incident: 'partner_incident',
  consecutive_failed_runs: 'consecutive_failed_runs',
  stale: 'stale',
  volume_drop: 'volume_drop',
};

/**
 * A one-shot alert stays "firing" this long after its last occurrence by default, so an
 * event re-sent (or re-announced, like a daily auth.expiring) within it notifies once.
 */
const ONE_SHOT_DEDUP_MS = 86_400_000;
const isOneShot = (raw: RawRule) => raw.kind === 'event' && (raw.one_shot ?? raw.resolve_on === undefined);

/**
 * Audience by cause (docs/alerts.md#audiences): data → tenant; auth → the tenant alone (only
 * they can re-authorise; operators see it on the overview and in the daily summary, unpaged);
 * other endpoint failures and infra → operator.
 */
export function defaultAudience(category: AlertLabels['category'], code: string): Audience[] {
  if (category === 'data' || category === 'success') return ['tenant'];
  if (category === 'endpoint' && code === 'auth') return ['tenant'];
  return ['operator'];
}

function eventLabels(raw: RawRule<'event'>): { category: AlertLabels['category']; code: string } {
  if (raw.event.startsWith('auth.')) return { category: 'endpoint', code: 'auth' };
  if (raw.event === 'record.synced' || raw.event === 'run.succeeded') return { category: 'success', code: raw.min_value !== undefined ? 'high_value' : raw.event.replace('.', '_') };
  return { category: 'health', code: raw.event.replace('.', '_') };
}

function labelsOf(raw: RawRule): { category: AlertLabels['category']; code: string } {
  switch (raw.kind) {
    case 'threshold': {
      const codes = raw.match.code ?? [];
      return { category: raw.category ?? raw.match.category ?? 'health', code: raw.code ?? (codes.length === 1 ? codes[0] : 'failures') };
    }
    case 'event': {
      const d = eventLabels(raw);
      return { category: raw.category ?? d.category, code: raw.code ?? d.code };
    }
    case 'partner_incident':
      return { category: raw.category ?? 'endpoint', code: raw.code ?? DEFAULT_CODE[raw.kind] };
    default:
      return { category: raw.category ?? 'health', code: raw.code ?? DEFAULT_CODE[raw.kind] };
  }
}

function defaultSummary(raw: RawRule): string {
  if (raw.kind === 'threshold') return DEFAULT_SUMMARY[raw.metric];
  if (raw.kind !== 'event') return DEFAULT_SUMMARY[raw.kind];
  if (raw.event === 'auth.expiring' || raw.event === 'auth.expired') return DEFAULT_SUMMARY[raw.event];
  return raw.event.startsWith('record.') ? DEFAULT_SUMMARY.record : DEFAULT_SUMMARY.event;
}

function defaultAction(raw: RawRule, category: AlertLabels['category'], code: string): string {
  if (code === 'auth') return DEFAULT_ACTION.auth;
  if (raw.kind === 'stale' || raw.kind === 'volume_drop' || raw.kind === 'partner_incident') return DEFAULT_ACTION[raw.kind];
  return DEFAULT_ACTION[category];
}

/** Fills a validated YAML rule's defaults into an AlertRule. */
export function normaliseRule(raw: RawRule, source: { file: string; line: number }): AlertRule {
  const { category, code } = labelsOf(raw);
  const base: AlertRuleBase = {
    name: raw.name,
    kind: raw.kind,
    ...(raw.description !== undefined ? { description: raw.description } : {}),
    severity: raw.severity,
    category,
    code,
    audience: raw.audience === undefined ? (raw.kind === 'partner_incident' ? ['operator', 'tenant'] : defaultAudience(category, code)) : [...new Set(raw.audience)],
    forMs: raw.for,
    resolveAfterMs: raw.resolve_after ?? (isOneShot(raw) ? ONE_SHOT_DEDUP_MS : 0),
    groupBy: raw.group_by ?? ['tenant', 'integration', 'flow'],
    summary: raw.summary ?? defaultSummary(raw),
    action: raw.action ?? defaultAction(raw, category, code),
    enabled: raw.enabled,
    ...(raw.inhibits ? { inhibits: raw.inhibits } : {}),
    source,
  };
  switch (raw.kind) {
    case 'threshold':
      return {
        ...base,
        kind: 'threshold',
        windowMs: raw.window ?? DEFAULT_WINDOW_MS.threshold,
        match: { ...(raw.match.category ? { category: raw.match.category } : {}), codes: raw.match.code ?? [] },
        metric: raw.metric,
        threshold: thresholdValue(raw),
        minSample: raw.min_sample,
        clearOn: raw.clear_on ?? (raw.match.category === 'data' ? 'clean_run' : 'window'),
      };
    case 'consecutive_failed_runs':
      return { ...base, kind: raw.kind, runs: raw.runs };
    case 'stale':
      return { ...base, kind: raw.kind, factor: raw.factor, minCadenceMs: raw.min_cadence };
    case 'volume_drop':
      return {
        ...base,
        kind: raw.kind,
        windowMs: raw.window ?? DEFAULT_WINDOW_MS.volume_drop,
        drop: raw.drop,
        minBaseline: raw.min_baseline,
        baselineDays: raw.baseline_days,
      };
    case 'event':
      return {
        ...base,
        kind: 'event',
        event: raw.event,
        ...(raw.event === 'auth.expiring' ? { horizonMs: raw.horizon ?? 7 * 86_400_000 } : {}),
        ...(raw.min_value !== undefined ? { minValue: raw.min_value } : {}),
        ...(raw.record_type !== undefined ? { recordType: raw.record_type } : {}),
        ...(raw.currency !== undefined ? { currency: raw.currency } : {}),
        resolveOn: raw.resolve_on ?? [],
        oneShot: isOneShot(raw),
        maxAgeMs: raw.max_age,
      };
    case 'partner_incident':
      return {
        ...base,
        kind: 'partner_incident',
        windowMs: raw.window ?? DEFAULT_WINDOW_MS.threshold,
        codes: raw.match.code,
        minTenants: raw.min_tenants,
        minShare: raw.min_share,
        activeWindowMs: raw.active_window,
      };
  }
}
