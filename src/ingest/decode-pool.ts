import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { AppError } from '../errors.js';
import type { ClassificationRules } from './classify.js';
import type { TimeWindow } from './limits.js';
import type { OtlpEncoding } from './otlp/decode.js';
import { OtlpDecodeError } from './otlp/errors.js';
import { decodeEventsBody, decodeLogsBody, decodeTracesBody, type DecodedEvents, type DecodedLogs, type DecodedTraces } from './requests.js';

/*
 * Where request bodies are decoded: on the HTTP thread (threads = 0), or in a pool of
 * worker threads so a large body's parse, validation and classification do not hold up
 * other requests (health checks, pages, small batches) on the event loop. Both give the
 * same rows and the same refusals; only the thread differs.
 */

/** What a request is judged by besides its body and the rules (see RequestContext). */
export interface Judgement {
  scope: readonly string[] | null;
  now: number;
  window: TimeWindow;
}

/** Decodes request bodies into the rows the batcher takes; throws AppError/OtlpDecodeError on refusal. */
export interface RequestDecoder {
  /** Worker threads configured (0: the HTTP thread decodes). */
  readonly threads: number;
  /** The running worker threads (operations: their ids, resource use; tests stop one to see the pool recover). */
  workers(): readonly Worker[];
  /** Requests handed to the workers and not answered yet. */
  busy(): number;
  events(body: Buffer, contentType: string, judgement: Judgement): Promise<DecodedEvents>;
  traces(body: Buffer, encoding: OtlpEncoding, judgement: Judgement): Promise<DecodedTraces>;
  logs(body: Buffer, encoding: OtlpEncoding, judgement: Judgement): Promise<DecodedLogs>;
  close(): Promise<void>;
}

/** Decoder settings (config.ingest). */
export interface DecoderOptions {
  threads: number;
  rulesDir: string;
}

/** One request for a worker. The body's bytes are moved, not copied, when they own their buffer. */
export type DecodeTask = Judgement & { body: Uint8Array; overridesVersion: number } & (
    | { kind: 'events'; contentType: string }
    | { kind: 'traces' | 'logs'; encoding: OtlpEncoding }
  );

/** A refusal as data: code, message and status survive the thread boundary. */
export interface Refusal {
  type: 'app' | 'otlp';
  code: string;
  message: string;
  status: number;
  retryable: boolean;
}

export type DecodeReply =
  | { kind: 'events'; result: DecodedEvents }
  | { kind: 'traces'; result: DecodedTraces }
  | { kind: 'logs'; result: DecodedLogs }
  | { kind: 'refused'; error: Refusal };

/** Decodes on the calling (HTTP) thread, as before the pool existed. */
function inlineDecoder(rules: ClassificationRules): RequestDecoder {
  return {
    threads: 0,
    workers: () => [],
    busy: () => 0,
    events: async (body, contentType, j) => decodeEventsBody(body, contentType, { rules, ...j }),
    traces: async (body, encoding, j) => decodeTracesBody(body, encoding, { rules, ...j }),
    logs: async (body, encoding, j) => decodeLogsBody(body, encoding, { rules, ...j }),
    close: async () => {},
  };
}

/** The body as a Uint8Array owning its whole buffer, so the buffer can be moved to the worker. */
function movable(body: Buffer): Uint8Array {
  // Small Buffers share Node's allocation pool: moving that buffer would detach other Buffers.
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer) return body;
  return new Uint8Array(body);
}

function refusalError(r: Refusal): Error {
  return r.type === 'otlp' ? new OtlpDecodeError(r.message) : new AppError(r.code, r.message, r.status, r.retryable);
}

function workerFile(): string {
  // Under tsx (tests, `npm start`) this module is a .ts file; in dist it is .js.
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./decode-worker${ext}`, import.meta.url).href;
}

/** Decodes in a pool of `threads` worker threads, each loading the classification rules of `rulesDir`. */
function poolDecoder(rules: ClassificationRules, opts: DecoderOptions): RequestDecoder {
  const pool = new Piscina({
    filename: workerFile(),
    minThreads: opts.threads,
    maxThreads: opts.threads,
    // Kept warm: starting a worker (loading the rules) takes longer than most requests.
    idleTimeout: Infinity,
    workerData: { rulesDir: opts.rulesDir },
  });
  // The overrides the workers should use: bumped whenever the HTTP thread's watcher swapped them.
  let overrides = rules.overrides;
  let overridesVersion = 0;
  let inFlight = 0;
  const run = async (task: DecodeTask): Promise<DecodeReply> => {
    if (rules.overrides !== overrides) {
      overrides = rules.overrides;
      overridesVersion++;
    }
    task.overridesVersion = overridesVersion;
    // A worker that dies with the task rejects it (a 500 for the request; piscina starts another worker).
    inFlight++;
    const reply = (await pool.run(task, { transferList: [task.body.buffer as ArrayBuffer] }).finally(() => inFlight--)) as DecodeReply;
    if (reply.kind === 'refused') throw refusalError(reply.error);
    return reply;
  };
  const result = async <R>(task: DecodeTask): Promise<R> => {
    const reply = await run(task);
    if (reply.kind !== task.kind) throw new Error(`decode worker answered ${reply.kind} to a ${task.kind} task`);
    return reply.result as R;
  };
  return {
    threads: opts.threads,
    workers: () => pool.threads,
    busy: () => inFlight,
    events: (body, contentType, j) => result<DecodedEvents>({ kind: 'events', contentType, body: movable(body), overridesVersion: 0, ...j }),
    traces: (body, encoding, j) => result<DecodedTraces>({ kind: 'traces', encoding, body: movable(body), overridesVersion: 0, ...j }),
    logs: (body, encoding, j) => result<DecodedLogs>({ kind: 'logs', encoding, body: movable(body), overridesVersion: 0, ...j }),
    close: () => pool.destroy(),
  };
}

/** The decoder for `opts.threads`: 0 decodes on the HTTP thread. */
export function createDecoder(rules: ClassificationRules, opts: DecoderOptions): RequestDecoder {
  return opts.threads > 0 ? poolDecoder(rules, opts) : inlineDecoder(rules);
}
