import { watch, type FSWatcher } from 'node:fs';
import { AlertRulesError, checkAlertRules } from './rules.js';
import type { AlertRule } from './rules-model.js';

/** Hot reload of a rules directory: the last good rules, and a way to stop watching. */
export interface AlertRulesWatcher {
  /** The rules in force: the last set that validated. */
  readonly rules: AlertRule[];
  close(): void;
}

/**
 * Editors save in bursts (write, rename, chmod): changes within this many milliseconds
 * are reloaded once.
 */
const DEBOUNCE_MS = 200;

/**
 * Loads the rules of `dir` (throws AlertRulesError when they do not validate: rules are
 * checked at start), then reloads them whenever a file in the directory changes. A change
 * that validates replaces the rules and calls `onChange`; a broken edit keeps the last
 * good rules and calls `onError` with every file:line problem.
 */
export function watchAlertRules(
  dir: string,
  onChange: (rules: AlertRule[]) => void,
  onError: (err: Error) => void,
  opts: { debounceMs?: number } = {},
): AlertRulesWatcher {
  const initial = checkAlertRules(dir);
  if (initial.errors.length) throw new AlertRulesError(initial.errors);
  let rules = initial.rules;
  let fingerprint = JSON.stringify(rules);
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const reload = () => {
    timer = null;
    if (closed) return;
    const next = checkAlertRules(dir);
    if (next.errors.length) return onError(new AlertRulesError(next.errors));
    const changed = JSON.stringify(next.rules);
    if (changed === fingerprint) return;
    rules = next.rules;
    fingerprint = changed;
    try {
      onChange(rules);
    } catch (err) {
      onError(err as Error);
    }
  };

  const watcher: FSWatcher = watch(dir, { persistent: false }, (_event, filename) => {
    if (filename !== null && !/\.ya?ml$/i.test(String(filename))) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(reload, opts.debounceMs ?? DEBOUNCE_MS);
  });
  watcher.on('error', (err) => onError(err));

  return {
    get rules() {
      return rules;
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
