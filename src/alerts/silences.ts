import { randomUUID } from 'node:crypto';
import { RE2JS } from 're2js';
import { z } from 'zod';
import { badRequest, notFound } from '../errors.js';
import { fromChTime, toChTime, type Driver } from '../store/index.js';
import type { Alert, AlertLabels } from './model.js';

/** Labels a silence may match on: every alert label. */
export const SILENCE_LABELS = ['rule', 'severity', 'category', 'code', 'audience', 'tenant', 'integration', 'flow'] as const;

const matcherSchema = z.strictObject({
  label: z.enum(SILENCE_LABELS),
  /** `=` equals, `!=` differs, `=~` matches the (anchored) RE2 regular expression, `!~` does not. */
  op: z.enum(['=', '!=', '=~', '!~']).default('='),
  value: z.string().max(256),
});

/** One matcher of a silence: all of a silence's matchers must hold for an alert to be silenced. */
export type Matcher = z.infer<typeof matcherSchema>;

/** A silence (a maintenance window): matching alerts notify nobody between its start and end. */
export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  createdAt: number;
}

/** The body of POST /v1/silences. */
export const newSilenceSchema = z
  .strictObject({
    matchers: z.array(matcherSchema).min(1, 'give at least one matcher').max(20),
    starts_at: z.iso.datetime({ offset: true }).optional(),
    ends_at: z.iso.datetime({ offset: true }),
    created_by: z.string().max(200).default(''),
    comment: z.string().max(2000).default(''),
  })
  .superRefine((s, ctx) => {
    s.matchers.forEach((m, i) => {
      if (m.op === '=~' || m.op === '!~') {
        try {
          compilePattern(m.value);
        } catch (err) {
          ctx.addIssue({ code: 'custom', path: ['matchers', i, 'value'], message: `not a valid regular expression: ${(err as Error).message}` });
        }
      }
    });
  });

export type NewSilence = z.infer<typeof newSilenceSchema>;

/** Whether a silence is in force at `now`. */
export const silenceState = (s: Silence, now: number): 'pending' | 'active' | 'expired' =>
  now < s.startsAt ? 'pending' : now < s.endsAt ? 'active' : 'expired';

function labelValues(labels: AlertLabels, label: Matcher['label']): string[] {
  return label === 'audience' ? labels.audience : [String(labels[label])];
}

/**
 * Compiles a matcher's pattern with RE2 (re2js), anchored at both ends. RE2 matches in
 * time linear in the input, so a pattern like `(a+)+b` — which backtracks for seconds in
 * JavaScript's RegExp against a tenant name chosen by whoever holds an ingest key — cannot
 * block the event loop. RE2 has no backreferences or lookarounds; such patterns are refused
 * when the silence is created.
 */
export function compilePattern(value: string): RE2JS {
  const cached = compiled.get(value);
  if (cached) return cached;
  const pattern = RE2JS.compile(`^(?:${value})$`);
  if (compiled.size >= 1000) compiled.clear();
  compiled.set(value, pattern);
  return pattern;
}
const compiled = new Map<string, RE2JS>();

/** Whether one matcher holds for an alert's labels (silences and inhibit_rules). */
export function matches(m: Matcher, labels: AlertLabels): boolean {
  const values = labelValues(labels, m.label);
  switch (m.op) {
    case '=':
      return values.includes(m.value);
    case '!=':
      return !values.includes(m.value);
    case '=~':
      return values.some((v) => compilePattern(m.value).matches(v));
    case '!~':
      return !values.some((v) => compilePattern(m.value).matches(v));
  }
}

/** The first silence in force at `now` whose matchers all hold for the alert, if any. */
export function findSilence(alert: Pick<Alert, 'labels'>, silences: readonly Silence[], now: number): Silence | null {
  return silences.find((s) => silenceState(s, now) === 'active' && s.matchers.every((m) => matches(m, alert.labels))) ?? null;
}

const silenceRow = z
  .object({ id: z.string(), m: z.string(), s_at: z.string(), e_at: z.string(), author: z.string(), note: z.string(), c_at: z.string() })
  .transform(
    (r): Silence => ({
      id: r.id,
      matchers: z.array(matcherSchema).parse(JSON.parse(r.m)),
      startsAt: Date.parse(fromChTime(r.s_at)),
      endsAt: Date.parse(fromChTime(r.e_at)),
      createdBy: r.author,
      comment: r.note,
      createdAt: Date.parse(fromChTime(r.c_at)),
    }),
  );

/** Silences that have not ended before `since` (all of them when omitted), newest first. */
export async function listSilences(driver: Driver, since = 0): Promise<Silence[]> {
  return driver.query({
    name: 'alerts.silences',
    sql: `SELECT id, argMax(matchers, version) AS m, toString(argMax(starts_at, version)) AS s_at,
                 toString(argMax(ends_at, version)) AS e_at, argMax(created_by, version) AS author,
                 argMax(comment, version) AS note, toString(argMax(created_at, version)) AS c_at
          FROM alert_silences
          GROUP BY id
          HAVING argMax(ends_at, version) >= {since:DateTime64(3)}
          ORDER BY c_at DESC, id`,
    params: { since: toChTime(since) },
    schema: silenceRow,
  });
}

async function writeSilence(driver: Driver, s: Silence, version: number): Promise<void> {
  await driver.insert('alert_silences', [
    {
      id: s.id,
      matchers: JSON.stringify(s.matchers),
      starts_at: toChTime(s.startsAt),
      ends_at: toChTime(s.endsAt),
      created_by: s.createdBy,
      comment: s.comment,
      created_at: toChTime(s.createdAt),
      version,
    },
  ]);
}

/** Creates a silence; its end must be after its start and in the future. */
export async function createSilence(driver: Driver, input: NewSilence, now: number): Promise<Silence> {
  const startsAt = input.starts_at ? Date.parse(input.starts_at) : now;
  const endsAt = Date.parse(input.ends_at);
  if (endsAt <= Math.max(startsAt, now)) throw badRequest('invalid_silence', 'ends_at must be in the future and after starts_at');
  const silence: Silence = {
    id: randomUUID(),
    matchers: input.matchers,
    startsAt,
    endsAt,
    createdBy: input.created_by,
    comment: input.comment,
    createdAt: now,
  };
  await writeSilence(driver, silence, 1);
  return silence;
}

/** Ends a silence now (it stays listed as expired). */
export async function expireSilence(driver: Driver, id: string, now: number): Promise<Silence> {
  const found = (await listSilences(driver)).find((s) => s.id === id);
  if (!found) throw notFound(`no silence ${id}`);
  if (found.endsAt <= now) return found;
  const expired = { ...found, startsAt: Math.min(found.startsAt, now), endsAt: now };
  // Version by time: an expiry always outranks the creation row (version 1).
  await writeSilence(driver, expired, now);
  return expired;
}

/** A silence as the API shows it. */
export function silenceView(s: Silence, now: number) {
  return {
    id: s.id,
    state: silenceState(s, now),
    matchers: s.matchers,
    starts_at: new Date(s.startsAt).toISOString(),
    ends_at: new Date(s.endsAt).toISOString(),
    created_by: s.createdBy,
    comment: s.comment,
    created_at: new Date(s.createdAt).toISOString(),
  };
}
