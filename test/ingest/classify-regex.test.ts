import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { classifyFailure, loadClassificationRules } from '../../src/ingest/classify.js';

// Classification patterns (operator-written) run against failure messages that whoever
// holds an ingest key writes. With JavaScript's RegExp, `(a+)+b` against 40 a's would
// backtrack for hours inside ingest; with RE2 it is a plain non-match. (If this
// regressed, the test would hang rather than fail: the linear engine is the guarantee.)
test('a backtracking-prone classification pattern matches by RE2 semantics, case-insensitively', () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncwatch-classify-re2-'));
  try {
    const file = join(dir, 'classification.yaml');
    writeFileSync(file, 'rules:\n  - name: slow\n    category: data\n    code: validation\n    match:\n      message: ["(a+)+b"]\n');
    const rules = loadClassificationRules(file);
    assert.notEqual(classifyFailure({ message: 'a'.repeat(40) }, rules).code, 'validation');
    assert.equal(classifyFailure({ message: `x ${'A'.repeat(40)}B y` }, rules).code, 'validation', 'found anywhere in the message, any case');
    writeFileSync(file, 'rules:\n  - name: backref\n    category: data\n    code: validation\n    match:\n      message: ["(a)\\\\1"]\n');
    assert.throws(() => loadClassificationRules(file), /invalid regex/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
