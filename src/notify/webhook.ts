import { z } from 'zod';
import type { Links } from '../links.js';
import type { ChannelModule } from './channel-module.js';
import { hostOf, postJson, redactUrl, webhookUrlSchema } from './http-post.js';
import type { Channel } from './model.js';
import type { HostLookup } from './ssrf.js';
import { webhookPayload } from './view.js';
import { webhookHeaders, webhookSecretSchema } from './webhook-sign.js';

/** A signed webhook: the receiver's URL and the Standard Webhooks secret. */
export interface WebhookTarget {
  channel: 'webhook';
  url: string;
  secret: string;
}

/** What the webhook channel needs. */
export interface WebhookChannelOptions {
  /** SYNCWATCH_WEBHOOK_ALLOW. */
  allow: readonly string[];
  links: Links;
  /** DNS resolution (tests inject one). */
  lookup?: HostLookup;
}

/**
 * The webhook channel: a JSON body signed per Standard Webhooks (webhook-id = the message
 * id, the same on every retry, so receivers can de-duplicate). The URL is checked by the
 * SSRF guard before every attempt and the connection goes only to the checked addresses.
 */
export function createWebhookChannel(options: WebhookChannelOptions): Channel<WebhookTarget> {
  return async (target, message, ctx) => {
    const body = JSON.stringify(webhookPayload(message, options.links));
    const headers = webhookHeaders(target.secret, message.id, Math.floor(ctx.now / 1000), body);
    return postJson(target.url, headers, body, { allow: options.allow, lookup: options.lookup, timeoutMs: ctx.timeoutMs, now: ctx.now });
  };
}

/** Signed JSON webhooks (tenants and operators). */
export const webhookChannel: ChannelModule<WebhookTarget> = {
  type: 'webhook',
  schema: z.strictObject({
    channel: z.literal('webhook'),
    url: webhookUrlSchema,
    secret: webhookSecretSchema,
  }),
  key: (t) => `webhook:${t.url}`,
  publicView: (t) => ({ channel: 'webhook', url: redactUrl(t.url) }),
  describe: (t) => hostOf(t.url),
  url: (t) => t.url,
  create: (deps) => ({ send: createWebhookChannel({ allow: deps.config.webhookAllow, links: deps.links, lookup: deps.lookup }) }),
};
