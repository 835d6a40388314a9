import type { HealthSettings } from '../config.js';
import type { FlowState, RecentRun } from './health-state.js';

// When a flow is expected to run: configured, else inferred from its recent runs. Health
// judges lateness and staleness from it, and so do the stale alerts (through the flow facts).

/** The middle value (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Cadence is inferred from the intervals between this many latest runs (docs/architecture.md#health). */
const CADENCE_SAMPLE = 10;

/** The expected cadence of a flow, and where it came from. */
export interface Cadence {
  seconds: number | null;
  /** `learning`: runs were seen, but not yet enough of them over enough time to infer one. */
  source: 'configured' | 'inferred' | 'learning' | null;
}

/** A configured cadence for the flow: the most specific match wins (integration and flow, then either). */
export function configuredCadence(settings: HealthSettings, integration: string, flow: string): number | null {
  let best: { score: number; seconds: number } | null = null;
  for (const c of settings.cadences) {
    if (c.integration !== undefined && c.integration !== integration) continue;
    if (c.flow !== undefined && c.flow !== flow) continue;
    const score = (c.integration !== undefined ? 2 : 0) + (c.flow !== undefined ? 1 : 0);
    if (!best || score > best.score) best = { score, seconds: c.seconds };
  }
  return best?.seconds ?? null;
}

/** Median of the intervals between the latest 11 ended runs (10 intervals), in seconds; null with fewer than 2 runs. */
export function inferCadence(recentRuns: readonly RecentRun[]): number | null {
  const ends = recentRuns.slice(0, CADENCE_SAMPLE + 1).map((r) => r.endedAt);
  const gaps: number[] = [];
  for (let i = 1; i < ends.length; i++) gaps.push(ends[i - 1] - ends[i]);
  if (gaps.length === 0) return null;
  return Math.max(1, Math.round(median(gaps) / 1000));
}

/**
 * Configured cadence, else inferred from recent runs — but only with evidence: at least
 * `cadence_min_runs` ended runs, the latest ending at least `cadence_min_span_seconds`
 * after the flow was first seen. Before that the flow is `learning` and is never late or
 * stale for want of a cadence (two runs 2 s apart do not make a 2 s schedule).
 */
export function cadenceOf(settings: HealthSettings, state: FlowState): Cadence {
  const configured = configuredCadence(settings, state.integration, state.flow);
  if (configured !== null) return { seconds: configured, source: 'configured' };
  const runs = state.recentRuns;
  if (runs.length === 0) return { seconds: null, source: null };
  const span = runs[0].endedAt - state.firstSeenAt;
  if (runs.length < settings.cadence_min_runs || span < settings.cadence_min_span_seconds * 1000) return { seconds: null, source: 'learning' };
  const inferred = inferCadence(runs);
  return inferred === null ? { seconds: null, source: 'learning' } : { seconds: inferred, source: 'inferred' };
}
