import type { z } from 'zod';
import type { Config } from '../config.js';
import type { Links } from '../links.js';
import type { DatadogClient } from './datadog-client.js';
import type { Channel } from './model.js';
import type { EmailRenderer } from './render.js';
import type { SlackMessages } from './slack-messages.js';
import type { HostLookup } from './ssrf.js';

/** What channels are built from. */
export interface ChannelDeps {
  config: Pick<Config, 'smtp' | 'webhookAllow' | 'pagerduty'>;
  links: Links;
  datadog: DatadogClient | null;
  renderer: EmailRenderer;
  timeoutMs: number;
  lookup?: HostLookup;
  /** Which Slack message each group edits (`slack-app`); in this process only when absent. */
  slackMessages?: SlackMessages;
}

/**
 * One notification channel, self-described: everything routing, subscriptions, the test
 * send, the SSRF guard and the delivery log need to know about it. Adding a channel is a
 * module exporting one of these plus one line in `registry.ts`.
 */
export interface ChannelModule<T extends { channel: string }> {
  type: T['channel'];
  /** The target as the API, the YAML receivers and tenant subscriptions accept it. */
  schema: z.ZodType<T>;
  /** What identifies a target for de-duplication: never a secret in clear (hashed by callers). */
  key(target: T): string;
  /** The target as the API shows it: no secrets (a webhook URL's token, a routing key). */
  publicView(target: T): Record<string, unknown>;
  /** Where a delivery went, in a few words, for a page an operator reads over someone's shoulder (no tokens). */
  describe(target: T): string;
  /** A customer-supplied URL the SSRF guard checks before any send, test sends included. */
  url?(target: T): string;
  /** Builds the sender; `close` releases connections (SMTP). */
  create(deps: ChannelDeps): { send: Channel<T>; close?(): void };
}
