import { workerData } from 'node:worker_threads';
import { AppError } from '../errors.js';
import { loadClassifier, loadOverrideRules } from './classify.js';
import type { DecodeReply, DecodeTask } from './decode-pool.js';
import { OtlpDecodeError } from './otlp/errors.js';
import { decodeEventsBody, decodeLogsBody, decodeTracesBody, type RequestContext } from './requests.js';

/*
 * A decode worker (node:worker_threads, run by piscina): parses, validates and classifies
 * one request body off the HTTP thread (requests.ts does the work). Classification rules
 * hold compiled patterns, which cannot cross threads, so each worker loads them from the
 * rules directory itself; the operator's overrides are re-read when the HTTP thread has
 * reloaded them (its watcher bumps `overridesVersion`).
 */

const { rulesDir } = workerData as { rulesDir: string };
const rules = loadClassifier(rulesDir);
let overridesVersion = 0;

function syncOverrides(version: number): void {
  if (version === overridesVersion) return;
  overridesVersion = version;
  try {
    rules.overrides = loadOverrideRules(rulesDir);
  } catch {
    // The HTTP thread has just loaded this file; an edit broken since keeps the last good rules, as there.
  }
}

/** Decodes one request; refusals come back as data, since errors lose their fields crossing threads. */
export default function decode(task: DecodeTask): DecodeReply {
  syncOverrides(task.overridesVersion);
  const body = Buffer.from(task.body.buffer, task.body.byteOffset, task.body.byteLength);
  const ctx: RequestContext = { rules, scope: task.scope, now: task.now, window: task.window };
  try {
    if (task.kind === 'events') return { kind: 'events', result: decodeEventsBody(body, task.contentType, ctx) };
    if (task.kind === 'traces') return { kind: 'traces', result: decodeTracesBody(body, task.encoding, ctx) };
    return { kind: 'logs', result: decodeLogsBody(body, task.encoding, ctx) };
  } catch (err) {
    if (err instanceof AppError) return { kind: 'refused', error: { type: 'app', code: err.code, message: err.message, status: err.status, retryable: err.retryable } };
    if (err instanceof OtlpDecodeError) return { kind: 'refused', error: { type: 'otlp', code: err.code, message: err.message, status: 400, retryable: false } };
    throw err;
  }
}
