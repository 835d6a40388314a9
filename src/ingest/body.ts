import { parse as parseTolerant, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { AppError, badRequest } from '../errors.js';

/** Most events one request may carry; larger batches must be split by the client. */
export const MAX_EVENTS_PER_REQUEST = 100_000;

/**
 * Deepest nesting of arrays and objects a body may have. An event is at most a few levels
 * deep; the cap exists because error reporting (jsonc-parser) and later walks recurse,
 * and 20 000 unterminated `[` used to overflow the stack into a 500.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether `text` opens more than `limit` arrays/objects at once (strings are skipped). It
 * runs on every body, so it jumps over each string with indexOf (most of a body is
 * strings) instead of stepping through it: a string ends at the first quote after it that
 * is not escaped, i.e. not preceded by an odd run of backslashes.
 */
export function exceedsJsonDepth(text: string, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = closingQuote(text, i);
      if (i < 0) return false; // an unterminated string: nothing after it counts
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** The index of the quote closing the string opened at `open`, or -1 when it is not closed. */
function closingQuote(text: string, open: number): number {
  for (let i = text.indexOf('"', open + 1); i >= 0; i = text.indexOf('"', i + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(i - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return i;
  }
  return -1;
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

/** JSON.parse does not always say where it failed; jsonc-parser (strict mode) finds the offset. */
function jsonError(text: string): AppError {
  const errors: ParseError[] = [];
  parseTolerant(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  const where = first ? ` at ${lineAndColumn(text, first.offset)}: ${printParseErrorCode(first.error)}` : '';
  return badRequest('invalid_json', `body is not valid JSON${where}`);
}

/**
 * Parses a /v1/events body: a JSON array (or one object), or NDJSON when the content
 * type says so. A body that cannot be parsed at all is a 400 that says where.
 */
export function parseEventsBody(body: Buffer, contentType: string): unknown[] {
  const text = body.toString('utf8');
  if (exceedsJsonDepth(text)) throw badRequest('too_deep', `body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`);
  let items: unknown[];
  if (/ndjson|jsonl|json-seq/i.test(contentType)) {
    items = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === '') continue;
      try {
        items.push(JSON.parse(line));
      } catch (err) {
        throw badRequest('invalid_json', `line ${i + 1} is not valid JSON: ${(err as Error).message}`);
      }
    }
  } else {
    if (text.trim() === '') throw badRequest('empty_body', 'body is empty: send a JSON array of events');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw jsonError(text);
    }
    if (Array.isArray(parsed)) items = parsed;
    else if (parsed !== null && typeof parsed === 'object') items = [parsed];
    else throw badRequest('invalid_body', 'body must be a JSON array of events (or NDJSON with Content-Type: application/x-ndjson)');
  }
  if (items.length > MAX_EVENTS_PER_REQUEST) {
    throw new AppError('too_many_events', `a request may carry at most ${MAX_EVENTS_PER_REQUEST} events; split the batch`, 413);
  }
  return items;
}
