import { chatChannel } from './chat-channel.js';
import type { ChatView } from './chat-view.js';

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
export const slackChannel = chatChannel({ type: 'slack', label: 'Slack', urlMessage: 'must be the incoming webhook URL Slack gave you', maxUrlLength: 2048, payload: slackPayload });
