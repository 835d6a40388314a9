/**
 * Who may act for the whole deployment right now. Several worker processes may run; the
 * one holding the alerting lease evaluates rules, dispatches the outbox, reports metric
 * series and sends scheduled reports. Notify and reports read this; alerts' engine is it.
 */
export interface Leadership {
  /** Whether this process held the lease at its last check. */
  readonly isLeader: boolean;
}

/** A process that runs alone (a CLI command, a test without an engine) always leads. */
export const SOLE_LEADER: Leadership = { isLeader: true };
