import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ChannelModule } from './channel-module.js';
import { chatView } from './chat-view.js';
import { customerUrlSchema, hostOf, postJsonAnswer, type PostOptions } from './http-post.js';
import type { DeliveryResult, NotificationMessage } from './model.js';
import { processSlackMessages, type PostedMessage, type SlackMessages } from './slack-messages.js';
import { slackPayload } from './slack.js';

/**
 * Slack through its Web API with a bot token, so a group's message is edited in place
 * (docs/notify.md#slack-app): the group's first message is posted with chat.postMessage,
 * whose answer carries the message's `ts`; its updates and its resolve edit that message
 * with chat.update, so the channel shows one message that stays current. An incoming
 * webhook (channel `slack`) cannot edit: it adds a message per update.
 */
export interface SlackAppTarget {
  channel: 'slack-app';
  /** A bot token (xoxb-…) with chat:write, of an app invited to the channel. */
  token: string;
  /** The channel's id (C…), or its name for the first post (Slack answers with the id, which edits use). */
  slack_channel: string;
  /** Slack's Web API root; only tests and proxies change it. */
  api_url?: string;
}

const DEFAULT_API = 'https://slack.com/api';

/** What a Slack Web API method answers (HTTP 200 either way; `ok` says whether it worked). */
const answerSchema = z.object({ ok: z.boolean(), error: z.string().optional(), channel: z.string().optional(), ts: z.string().optional() });

/** Slack's `error` codes worth another attempt; every other one (invalid_auth, channel_not_found…) will not get better. */
const TRANSIENT = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** One Web API call: HTTP errors as for any JSON POST, then Slack's own `ok`. The token never appears in an error. */
async function call(target: SlackAppTarget, method: string, body: Record<string, unknown>, opts: PostOptions): Promise<{ result: DeliveryResult; channel?: string; ts?: string; error?: string }> {
  const url = `${(target.api_url ?? DEFAULT_API).replace(/\/$/, '')}/${method}`;
  const { result, body: raw } = await postJsonAnswer(url, { authorization: `Bearer ${target.token}`, 'content-type': 'application/json; charset=utf-8' }, JSON.stringify(body), opts, 16_384);
  if (!result.ok) return { result };
  let answer: z.output<typeof answerSchema>;
  try {
    answer = answerSchema.parse(JSON.parse(raw));
  } catch {
    return { result: { ok: false, status: result.status, retryable: true, error: `Slack ${method}: the answer was not Slack's JSON` } };
  }
  if (!answer.ok) {
    const error = answer.error ?? 'unknown_error';
    return { result: { ok: false, status: result.status, retryable: TRANSIENT.has(error), error: `Slack ${method}: ${error}` }, error };
  }
  return { result, channel: answer.channel, ts: answer.ts };
}

/**
 * The sender: which message a group's message replaces is remembered per (group, target)
 * while the group lasts (forgotten once it is resolved), in the store when the service
 * runs, so it survives a restart or a hand-over of the alerting lease.
 */
function createSlackAppChannel(deps: { allow: readonly string[]; lookup?: PostOptions['lookup']; links: Parameters<typeof chatView>[1]; posted: SlackMessages }) {
  const { posted } = deps;
  const keyOf = (target: SlackAppTarget, message: NotificationMessage) =>
    createHash('sha256').update(`${message.groupKey}\n${target.api_url ?? ''}\n${target.slack_channel}\n${target.token}`).digest('hex');
  return async (target: SlackAppTarget, message: NotificationMessage, ctx: { timeoutMs: number; now: number }): Promise<DeliveryResult> => {
    const opts: PostOptions = { allow: deps.allow, lookup: deps.lookup, timeoutMs: ctx.timeoutMs, now: ctx.now };
    const content = slackPayload(chatView(message, deps.links));
    const key = keyOf(target, message);
    const open = message.groupKey === '' ? undefined : await posted.get(key);
    const done = async (result: DeliveryResult, next: PostedMessage | undefined) => {
      if (!result.ok || message.groupKey === '') return result;
      // A resolved group's message is final: the next episode posts a new one.
      const keep = next && message.type !== 'alert.resolved' ? next : undefined;
      if (keep?.ts !== open?.ts || keep?.channel !== open?.channel) await posted.set(key, keep);
      return result;
    };
    if (open) {
      const edited = await call(target, 'chat.update', { channel: open.channel, ts: open.ts, ...content }, opts);
      // The message was deleted meanwhile: post a new one instead.
      if (edited.error !== 'message_not_found' && edited.error !== 'cant_update_message') return done(edited.result, open);
    }
    const sent = await call(target, 'chat.postMessage', { channel: target.slack_channel, ...content }, opts);
    return done(sent.result, sent.ts && sent.channel ? { channel: sent.channel, ts: sent.ts } : undefined);
  };
}

/** Slack via a bot token: one message per group, edited as it changes (tenants and operators). */
export const slackAppChannel: ChannelModule<SlackAppTarget> = {
  type: 'slack-app',
  schema: z.strictObject({
    channel: z.literal('slack-app'),
    token: z.string().regex(/^xox[bp]-[A-Za-z0-9-]{8,250}$/, 'must be a Slack bot token (xoxb-…) with the chat:write scope'),
    slack_channel: z.string().regex(/^[#A-Za-z0-9._-]{1,80}$/, "must be the Slack channel's id (C…) or name"),
    api_url: customerUrlSchema("must be Slack's Web API URL (https://slack.com/api)", 512).optional(),
  }),
  key: (t) => `slack-app:${t.api_url ?? DEFAULT_API}:${t.slack_channel}:${t.token}`,
  publicView: (t) => ({ channel: 'slack-app', slack_channel: t.slack_channel, token: `${t.token.slice(0, 5)}…${t.token.slice(-4)}` }),
  describe: (t) => `Slack ${t.slack_channel} (${hostOf(t.api_url ?? DEFAULT_API)})`,
  url: (t) => t.api_url ?? DEFAULT_API,
  create: (deps) => ({
    send: createSlackAppChannel({ allow: deps.config.webhookAllow, lookup: deps.lookup, links: deps.links, posted: deps.slackMessages ?? processSlackMessages() }),
  }),
};
