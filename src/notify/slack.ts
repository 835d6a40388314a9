import { z } from 'zod';
import type { ChannelModule } from './channel-module.js';
import { chatView, type ChatView } from './chat-view.js';
import { customerUrlSchema, hostOf, postJson } from './http-post.js';

/** A Slack incoming webhook: the URL is the credential (it carries the token). */
export interface SlackTarget {
  channel: 'slack';
  url: string;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
/** Slack's mrkdwn needs only these three escaped (its "formatting text" reference). */
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A Block Kit message within Slack's documented limits: a header (plain text, ≤ 150
 * characters), sections (mrkdwn, ≤ 3000), fields (≤ 10, ≤ 2000 each), a context line and
 * link buttons; `text` is the fallback shown in notifications.
 */
export function slackPayload(view: ChatView): Record<string, unknown> {
  const blocks: Record<string, unknown>[] = [{ type: 'header', text: { type: 'plain_text', text: clip(view.title, 150), emoji: false } }];
  for (const p of view.paragraphs.slice(0, 40)) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(escape(p), 3000) } });
  if (view.facts.length) blocks.push({ type: 'section', fields: view.facts.slice(0, 10).map((f) => ({ type: 'mrkdwn', text: clip(`*${escape(f.title)}*\n${escape(f.value)}`, 2000) })) });
  if (view.links.length) {
    blocks.push({ type: 'actions', elements: view.links.slice(0, 5).map((l) => ({ type: 'button', text: { type: 'plain_text', text: clip(l.title, 75) }, url: l.url })) });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Sent by syncwatch' }] });
  return { text: clip(view.fallback, 3000), blocks };
}

/** Slack incoming webhooks with Block Kit (tenants and operators). */
export const slackChannel: ChannelModule<SlackTarget> = {
  type: 'slack',
  schema: z.strictObject({ channel: z.literal('slack'), url: customerUrlSchema('must be the incoming webhook URL Slack gave you') }),
  key: (t) => `slack:${t.url}`,
  publicView: (t) => ({ channel: 'slack', url: urlHint(t.url) }),
  describe: (t) => `Slack (${hostOf(t.url)})`,
  url: (t) => t.url,
  create: (deps) => ({
    send: (target, message, ctx) =>
      postJson(target.url, {}, JSON.stringify(slackPayload(chatView(message, deps.links))), { allow: deps.config.webhookAllow, lookup: deps.lookup, timeoutMs: ctx.timeoutMs, now: ctx.now }),
  }),
};

/** A URL whose path or query is a credential, as the API shows it: origin, then only the last 4 characters. */
export function urlHint(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.origin}/…${(url.pathname + url.search).slice(-4)}`;
  } catch {
    return '(invalid URL)';
  }
}
