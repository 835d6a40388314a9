/**
 * One vocabulary (src/vocabulary) and one formatter (src/format): the words, orders and
 * formats are defined once, and the rest of the source uses them instead of its own copy.
 * The guard reads every source file: a second status order, category label table,
 * duration or money formatter, or message-id recipe is a failure naming the file.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { messageId } from '../../src/notify/index.js';
import { countByStatus } from '../../src/views/index.js';
import { CATEGORY_LABELS, FAILURE_CATEGORIES, HEALTH_STATUSES, statusRank } from '../../src/vocabulary/index.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sources(full) : name.endsWith('.ts') ? [full] : [];
  });
}

/** Definitions that belong to one module only: [what, pattern, the one file allowed]. */
const ONCE: [string, RegExp, string][] = [
  ['a status order', /\[\s*'failing',\s*'stale'/, 'vocabulary/index.ts'],
  ['tenant category names', /'Partner API'/, 'vocabulary/index.ts'],
  ['operator category labels', /infra:\s*'Infrastructure'/, 'vocabulary/index.ts'],
  ['a duration formatter', /(function|const)\s+format\w*(Duration|Minutes|Seconds)\b/, 'format/duration.ts'],
  ['a money formatter', /(function|const)\s+formatMoney\b/, 'format/numbers.ts'],
  ['a message id recipe', /`msg_/, 'notify/message-id.ts'],
  // Times in sentences go through formatTime ("2026-11-22 12:00 UTC"); ISO stays for JSON fields.
  ['a raw ISO timestamp in a sentence', /`[^`\n]*[A-Za-z]+ [^`\n]*\$\{[^}`]*toISOString\(\)\}/, 'format/time.ts'],
];

describe('one vocabulary and one formatter', () => {
  test('the vocabulary is a leaf: it imports nothing', () => {
    const text = readFileSync(path.join(SRC, 'vocabulary/index.ts'), 'utf8');
    assert.doesNotMatch(text, /^\s*(import|export .* from)\b/m);
  });

  test('no other source file defines its own status order, category labels, formatter or message id', () => {
    const found: string[] = [];
    for (const file of sources(SRC)) {
      const rel = path.relative(SRC, file).split(path.sep).join('/');
      const text = readFileSync(file, 'utf8');
      for (const [what, pattern, home] of ONCE) if (rel !== home && pattern.test(text)) found.push(`${rel}: ${what}`);
    }
    assert.deepEqual(found, []);
  });

  test('statuses are counted and ranked in the vocabulary order, worst first', () => {
    assert.deepEqual(countByStatus([]).map((c) => c.status), [...HEALTH_STATUSES]);
    assert.ok(statusRank('failing') < statusRank('degraded') && statusRank('degraded') < statusRank('healthy'));
    for (const c of FAILURE_CATEGORIES) assert.ok(CATEGORY_LABELS.operator[c] && CATEGORY_LABELS.tenant[c], c);
  });

  test('message ids are derived from their content, with an optional kind', () => {
    assert.equal(messageId('a\nb'), messageId('a\nb'));
    assert.notEqual(messageId('a\nb'), messageId('a\nc'));
    assert.match(messageId('x'), /^msg_[0-9a-f]{32}$/);
    assert.match(messageId('x', 'report'), /^msg_report_[0-9a-f]{32}$/);
  });
});
