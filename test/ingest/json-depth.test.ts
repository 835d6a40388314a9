import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRandom } from '../../src/demo/random.js';
import { exceedsJsonDepth, parseEventsBody } from '../../src/ingest/body.js';

/**
 * The depth check as it was first written (a step through every character): the oracle
 * the faster check, which jumps over strings, must agree with on every input.
 */
function reference(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

// Heavy on the characters that matter: brackets, quotes and runs of backslashes.
const ALPHABET = ['[', ']', '{', '}', '"', '\\', '\\\\', '\\"', 'a', ',', ':', ' ', '\n', 'é', '😀', '\ud800'];

function randomText(seed: number): string {
  const rnd = createRandom(seed);
  let out = '';
  const n = rnd.int(0, 60);
  for (let i = 0; i < n; i++) out += rnd.pick(ALPHABET);
  return out;
}

/** Valid JSON nested `depth` deep, with strings full of escapes and brackets on the way. */
function nested(seed: number, depth: number): string {
  const rnd = createRandom(seed);
  let text = JSON.stringify({ s: 'x"]}\\"[{\\', t: '\\\\' });
  for (let d = 1; d < depth; d++) {
    const label = JSON.stringify(`${rnd.pick(ALPHABET)}${rnd.pick(ALPHABET)}"\\`);
    text = rnd.chance(0.5) ? `[${label},${text}]` : `{${label}:${text},"k":${label}}`;
  }
  return text;
}

describe('JSON depth check', () => {
  test('refuses exactly what the character-by-character check refused, on 20 000 generated texts', () => {
    let refused = 0;
    for (let seed = 1; seed <= 20_000; seed++) {
      const text = randomText(seed);
      for (const limit of [0, 1, 2, 3, 5]) {
        const expected = reference(text, limit);
        assert.equal(exceedsJsonDepth(text, limit), expected, `seed ${seed}, limit ${limit}: ${JSON.stringify(text)}`);
        if (expected) refused++;
      }
    }
    // The corpus exercises both answers, not only one.
    assert.ok(refused > 10_000 && refused < 90_000, `${refused} of 100 000 refused`);
  });

  test('agrees on valid JSON around the limit, with brackets and escaped quotes inside strings', () => {
    for (let seed = 1; seed <= 300; seed++) {
      for (const depth of [63, 64, 65]) {
        const text = nested(seed, depth);
        assert.equal(exceedsJsonDepth(text), reference(text, 64), `seed ${seed}, depth ${depth}`);
        assert.equal(exceedsJsonDepth(text), depth > 64);
      }
    }
  });

  test('a body nested past the limit is refused as too_deep, one at the limit is parsed', () => {
    assert.throws(() => parseEventsBody(Buffer.from(`[${nested(7, 64)}]`), 'application/json'), { code: 'too_deep' });
    assert.equal(parseEventsBody(Buffer.from(`[${nested(7, 63)}]`), 'application/json').length, 1);
  });
});
