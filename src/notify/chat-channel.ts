import { z } from 'zod';
import type { ChannelModule } from './channel-module.js';
import { chatView, type ChatView } from './chat-view.js';
import { customerUrlSchema, hostOf, postJson } from './http-post.js';

/** A chat service reached by a webhook URL that is itself the credential (Slack, Teams). */
export interface ChatTarget<K extends string> {
  channel: K;
  url: string;
}

/** A URL whose path or query is a credential, as the API shows it: origin, then only the last 4 characters. */
export function urlHint(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.origin}/…${(url.pathname + url.search).slice(-4)}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * The channel module of a chat service: a customer URL (SSRF-checked, shown only as a
 * hint) and the service's own layout of the chat view of a message, POSTed as JSON.
 */
export function chatChannel<K extends string>(spec: { type: K; label: string; urlMessage: string; maxUrlLength: number; payload: (view: ChatView) => Record<string, unknown> }): ChannelModule<ChatTarget<K>> {
  return {
    type: spec.type,
    schema: z.strictObject({ channel: z.literal(spec.type), url: customerUrlSchema(spec.urlMessage, spec.maxUrlLength) }) as unknown as z.ZodType<ChatTarget<K>>,
    key: (t) => `${spec.type}:${t.url}`,
    publicView: (t) => ({ channel: spec.type, url: urlHint(t.url) }),
    describe: (t) => `${spec.label} (${hostOf(t.url)})`,
    url: (t) => t.url,
    create: (deps) => ({
      send: (target, message, ctx) =>
        postJson(target.url, {}, JSON.stringify(spec.payload(chatView(message, deps.links))), { allow: deps.config.webhookAllow, lookup: deps.lookup, timeoutMs: ctx.timeoutMs, now: ctx.now }),
    }),
  };
}
