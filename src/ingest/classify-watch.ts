import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import { OVERRIDE_FILE, loadOverrideRules, type ClassificationRules } from './classify.js';

/** Editors save in bursts (write, rename, chmod): changes within this many ms reload once. */
const DEBOUNCE_MS = 200;

/**
 * Reloads the operator's classification.local.yaml into `rules.overrides` whenever it
 * changes, like the alert rules. A broken edit is logged and the last good overrides stay
 * in force. Returns a function that stops watching.
 */
export function watchOverrideRules(rulesDir: string, rules: ClassificationRules, log: Logger, opts: { debounceMs?: number } = {}): () => void {
  let timer: NodeJS.Timeout | null = null;
  let watcher: FSWatcher;
  try {
    watcher = watch(rulesDir, { persistent: false }, (_event, filename) => {
      if (filename !== null && String(filename) !== OVERRIDE_FILE) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(reload, opts.debounceMs ?? DEBOUNCE_MS);
    });
  } catch (err) {
    log.warn({ err: (err as Error).message, rulesDir }, 'classification overrides are not watched');
    return () => {};
  }
  watcher.on('error', (err) => log.error({ err: err.message }, 'classification overrides watch failed'));

  function reload(): void {
    timer = null;
    try {
      // A new array (not an edit in place): remembered decisions are keyed to it.
      rules.overrides = loadOverrideRules(rulesDir);
      log.info({ rules: rules.overrides.length }, 'classification overrides reloaded');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'classification overrides not reloaded: the last good ones stay in force');
    }
  }

  return () => {
    if (timer) clearTimeout(timer);
    watcher.close();
  };
}
