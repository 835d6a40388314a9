import type { Config } from '../config.js';
import type { Links } from '../links.js';
import type { DatadogClient } from './datadog.js';
import { createDatadogChannel } from './datadog.js';
import { createEmailChannel } from './email.js';
import type { ChannelRegistry } from './model.js';
import type { EmailRenderer } from './render.js';
import type { HostLookup } from './ssrf.js';
import { createWebhookChannel } from './webhook.js';

/** What the channels are built from. */
export interface ChannelDeps {
  config: Pick<Config, 'smtp' | 'webhookAllow'>;
  links: Links;
  datadog: DatadogClient | null;
  renderer: EmailRenderer;
  timeoutMs: number;
  lookup?: HostLookup;
}

/** The channel registry: one entry per channel type, all with the one Channel signature. */
export function createChannels(deps: ChannelDeps): { channels: ChannelRegistry; close(): void } {
  const { config } = deps;
  const email = createEmailChannel({
    smtpUrl: config.smtp.url,
    from: config.smtp.from,
    links: deps.links,
    renderer: deps.renderer,
    timeoutMs: deps.timeoutMs,
  });
  const channels: ChannelRegistry = {
    email,
    datadog: createDatadogChannel(deps.datadog, deps.links),
    webhook: createWebhookChannel({ allow: config.webhookAllow, links: deps.links, lookup: deps.lookup }),
  };
  return { channels, close: () => email.close() };
}
