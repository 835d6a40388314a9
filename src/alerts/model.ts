import type { FailureCategory } from '../ingest/index.js';
import type { NotifiedAlert } from '../notify/index.js';

/** Who an alert is for: data → tenant; endpoint → operator (+ tenant when only they can act); infra → operator. */
export type Audience = NotifiedAlert['labels']['audience'][number];
export type Severity = NotifiedAlert['labels']['severity'];

/** Labels routes match on (what notify reads, with the category narrowed); the fingerprint is derived from rule + tenant + integration + flow. */
export interface AlertLabels extends Omit<NotifiedAlert['labels'], 'category'> {
  category: FailureCategory | 'health' | 'success';
}

/** What one evaluation says about one (rule, tenant, integration, flow): is the condition true now. */
export interface Observation {
  fingerprint: string;
  labels: AlertLabels;
  active: boolean;
  /** One sentence for subjects and summaries, e.g. "12 orders failed validation in the last 15 minutes". */
  summary: string;
  /** What the reader can do (data: fix these records; auth: re-authorise; endpoint: nothing, we are on it). */
  action: string;
  /** Up to 10 business ids with their failure messages. */
  records: { id: string; message: string }[];
  valueAtRisk: { amount: number; currency: string } | null;
  /** Observed figure and threshold, for operators. */
  value?: number;
  threshold?: number;
  /** Event rules fire once (a high-value record, auth expiring): no resolve notification. */
  oneShot?: boolean;
  /** On a partner incident's operator alert: who is affected (src/incidents). */
  incident?: IncidentFacts;
  /** Records failed in the rule's window and how many synced since (clean_run rules: alerts/evaluate-settle.ts). */
  figures?: AlertFigures;
}

/** What a group of record failures amounts to: kept current in updates, stated in the resolve. */
export interface AlertFigures {
  /** Distinct records that failed in the window. */
  records: number;
  /** Of those, the ones whose latest attempt synced. */
  recovered: number;
}

/** A partner incident's figures, as of its latest evaluation. */
export interface IncidentFacts {
  /** Earliest partner failure of the episode (kept from the first detection). */
  since: number;
  tenants: string[];
  connections: { tenant: string; connection: string; failures: number; code: string }[];
  activeConnections: number;
  failedRecords: number;
}

/** The alert that explains (and holds back) another: see alerts/inhibit.ts. */
export interface Inhibition {
  rule: string;
  fingerprint: string;
  summary: string;
}

export type AlertStatus = 'pending' | 'firing' | 'resolved';

/** One alert: the lifecycle of one fingerprint. Persisted (alert_state), survives restarts. */
export interface Alert extends Omit<Observation, 'active'> {
  status: AlertStatus;
  /** When the condition was first seen true in this episode. */
  activeSince: number;
  /** When it started firing (after the hold-down). */
  firedAt: number | null;
  resolvedAt: number | null;
  /** When the condition was last seen false while firing (resolve hold-down). */
  clearSince: number | null;
  lastNotifiedAt: number | null;
  /** Set while a firing cause inhibits this alert: it notifies nobody, but stays listed with its cause. */
  inhibitedBy?: Inhibition;
  /** Monotonic version for ReplacingMergeTree persistence. */
  version: number;
}

/** A state change the router turns into notifications. */
export interface Transition {
  alert: Alert;
  kind: 'firing' | 'resolved' | 'repeat';
}
