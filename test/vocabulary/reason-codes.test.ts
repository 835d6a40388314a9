import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { HEALTH_REASON_CODES } from '../../src/vocabulary/index.js';

// The health reason codes are one union (src/vocabulary); the API reference's table of
// statuses names exactly those codes, so a code added or renamed is documented.
test('docs/api/health.md documents exactly the health reason codes', () => {
  const doc = readFileSync(new URL('../../docs/api/health.md', import.meta.url), 'utf8');
  const table = doc.slice(doc.indexOf('| status | reason `code` |'), doc.indexOf('| `healthy` | — |'));
  const documented = new Set([...table.matchAll(/^\| `[a-z]+` \| (.+?) \|/gm)].flatMap((m) => [...m[1].matchAll(/`([a-z_]+)`/g)].map((c) => c[1])));
  assert.deepEqual([...documented].sort(), [...HEALTH_REASON_CODES].sort());
});
