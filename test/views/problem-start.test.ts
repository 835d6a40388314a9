import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EPISODE_GAP_MS, episodeStart } from '../../src/views/problem-start.js';

// The walk that dates a problem from its events, newest first.
const H = 3_600_000;
const failed = (at: number, type = 'record.failed') => ({ at, type });
const ok = (at: number) => ({ at, type: 'run.succeeded' });

describe('when a problem began', () => {
  test('the earliest failure before a gap longer than the episode gap', () => {
    assert.equal(EPISODE_GAP_MS, 6 * H);
    assert.equal(episodeStart([failed(100 * H), failed(96 * H), failed(91 * H), failed(80 * H)], 'data'), 91 * H);
  });

  test('a successful run ends an endpoint or infra problem, not a data problem', () => {
    const rows = [failed(100 * H, 'run.failed'), failed(99 * H, 'run.failed'), ok(98 * H), failed(97 * H, 'run.failed')];
    assert.equal(episodeStart(rows, 'endpoint'), 99 * H);
    assert.equal(episodeStart(rows, 'infra'), 99 * H);
    assert.equal(episodeStart(rows, 'data'), 97 * H);
  });

  test('no failure: no start', () => {
    assert.equal(episodeStart([], 'data'), null);
    assert.equal(episodeStart([ok(5)], 'endpoint'), null);
  });
});
