import { z } from 'zod';
import { toChTime, type Driver } from '../store/index.js';

/** The Slack message a group's next message edits: Slack's channel id and the message's ts. */
export interface PostedMessage {
  channel: string;
  ts: string;
}

/**
 * Where the `slack-app` channel remembers, per (group, target) key, which message to edit.
 * In the store (table slack_messages) for a running service, so a restart or a hand-over
 * of the alerting lease edits the message already in the channel; in this process only
 * for a channel built without a store (unit tests, `syncwatch` commands that send once).
 */
export interface SlackMessages {
  get(key: string): Promise<PostedMessage | undefined>;
  /** `undefined` forgets the key: the group resolved, so its next episode posts anew. */
  set(key: string, posted: PostedMessage | undefined): Promise<void>;
}

export function processSlackMessages(): SlackMessages {
  const posted = new Map<string, PostedMessage>();
  return {
    get: async (key) => posted.get(key),
    set: async (key, value) => void (value ? posted.set(key, value) : posted.delete(key)),
  };
}

const row = z.object({ slack_channel: z.string(), ts: z.string() });

/**
 * Kept in the store, read through on a miss. A failed write is reported, not thrown: the
 * message is already in Slack, and failing the delivery would have it posted again; the
 * process still remembers it, so only a restart before the next write posts anew.
 */
export function storeSlackMessages(driver: Driver, now: () => number, onWriteError: (err: Error) => void): SlackMessages {
  const cache = new Map<string, PostedMessage | null>();
  return {
    async get(key) {
      if (!cache.has(key)) {
        const [latest] = await driver.query({
          name: 'notify.slack_messages.get',
          sql: 'SELECT argMax(slack_channel, updated_at) AS slack_channel, argMax(ts, updated_at) AS ts FROM slack_messages WHERE key = {key:String} GROUP BY key',
          params: { key },
          schema: row,
        });
        cache.set(key, latest && latest.ts !== '' ? { channel: latest.slack_channel, ts: latest.ts } : null);
      }
      return cache.get(key) ?? undefined;
    },
    async set(key, posted) {
      cache.set(key, posted ?? null);
      try {
        await driver.insert('slack_messages', [{ key, slack_channel: posted?.channel ?? '', ts: posted?.ts ?? '', updated_at: toChTime(now()) }]);
      } catch (err) {
        onWriteError(err as Error);
      }
    },
  };
}
