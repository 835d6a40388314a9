/** The kinds of alert rule (docs/alert-rules.md): the schema and the message texts both key on them. */
export const RULE_KINDS = ['threshold', 'consecutive_failed_runs', 'stale', 'volume_drop', 'event', 'partner_incident'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
