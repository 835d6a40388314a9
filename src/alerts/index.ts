// The alerts capability's front door (docs/architecture.md#alerts-and-notifications). One export line per module; the
// state/routing/scheduler parts add theirs below.
export type { Alert, AlertLabels, AlertStatus, Audience, Observation, Severity, Transition } from './model.js';
export { loadAlertRules, checkAlertRules, alertRuleFiles, formatRuleError, AlertRulesError, CLASSIFICATION_FILE, type AlertRulesCheck, type RuleFileError } from './rules.js';
export { watchAlertRules, type AlertRulesWatcher } from './rules-watch.js';
export { defaultAudience, type AlertRule, type AlertRuleBase, type WindowRule, type ThresholdRule, type ConsecutiveFailedRunsRule, type StaleRule, type VolumeDropRule, type EventRule, type GroupDimension } from './rules-model.js';
export { evaluateWindowRules, isWindowRule, type EvaluateOptions } from './evaluate.js';
export { evaluateEvent } from './event-rules.js';
export { alertFingerprint } from './evaluate-observation.js';
export { applyObservations, stepAlerts, type RuleTiming, type Step, type StatusChange } from './state.js';
export { listAlerts, type AlertQuery, type HistoryEntry } from './state-store.js';
export { planNotifications, matchRoutes, type Delivery as AlertDelivery, type NotifyEntry, type NotifyLog, type Plan } from './routing.js';
export { loadAlertsSettings, DEFAULT_ROUTES, OPS_RECEIVER, TENANT_RECEIVER, type AlertsSettings, type Route } from './routing-config.js';
export { createSilence, expireSilence, listSilences, findSilence, newSilenceSchema, silenceState, silenceView, type Silence, type Matcher } from './silences.js';
export { getSubscription, getSubscriptions, putSubscription, subscriptionBodySchema, subscriptionView, type Subscription } from './subscriptions.js';
export { AlertEngine, type AlertEngineDeps, type AlertDispatcher, type AlertOutbox, type TickSummary } from './engine.js';
export { startAlerting, type Alerting, type AlertingOptions } from './engine-service.js';
export { Lease, type LeaseOptions, type AlertLease } from './scheduler-lease.js';
export { KeeperLease, createLease } from './scheduler-lease-keeper.js';
export { checkAlertRuleCodes } from './rules-codes.js';
