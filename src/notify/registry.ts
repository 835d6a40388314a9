import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ChannelDeps, ChannelModule } from './channel-module.js';
import { datadogChannel } from './datadog.js';
import { emailChannel } from './email.js';
import type { Channel } from './model.js';
import { pagerDutyChannel } from './pagerduty.js';
import { slackChannel } from './slack.js';
import { slackAppChannel } from './slack-app.js';
import { teamsChannel } from './teams.js';
import { webhookChannel } from './webhook.js';

/**
 * Every notification channel, one line each. Routing, tenant subscriptions, the receivers
 * of the config file, the test send, the SSRF guard and the delivery log all read this
 * list: adding a channel is a module exporting a ChannelModule plus its line here.
 */
const CHANNELS = [emailChannel, webhookChannel, datadogChannel, slackChannel, slackAppChannel, teamsChannel, pagerDutyChannel] as const;

type TargetOf<M> = M extends ChannelModule<infer T> ? T : never;

/** Where a notification goes: one target of one channel. Secrets stay server-side (never in API responses or logs). */
export type Target = TargetOf<(typeof CHANNELS)[number]>;
/** The channel types. */
export type ChannelType = Target['channel'];
export const CHANNEL_TYPES = CHANNELS.map((c) => c.type) as ChannelType[];

const byType = new Map<string, ChannelModule<Target>>(CHANNELS.map((c) => [c.type, c as unknown as ChannelModule<Target>]));
const moduleOf = (t: Target): ChannelModule<Target> => byType.get(t.channel)!;

/** A target as the API, the config file's receivers and tenant subscriptions accept it. */
export const targetSchema = z.discriminatedUnion(
  'channel',
  CHANNELS.map((c) => c.schema) as unknown as [z.ZodObject<{ channel: z.ZodLiteral<string> }>],
  { error: (issue) => (issue.code === 'invalid_union' ? `channel: must be one of ${CHANNEL_TYPES.join(', ')}` : undefined) },
) as unknown as z.ZodType<Target>;

/** What identifies a target for de-duplication (the addresses, the URL…); hash it before storing. */
export const targetKey = (t: Target): string => moduleOf(t).key(t);

/** A target as the API shows it: never a secret. */
export const publicTarget = (t: Target): Record<string, unknown> => moduleOf(t).publicView(t);

/** Where a delivery went, in a few words (no tokens): for pages. */
export const describeTarget = (t: Target): string => moduleOf(t).describe(t);

/** The customer-supplied URL a send to this target reaches (the SSRF guard checks it), if any. */
export const targetUrl = (t: Target): string | undefined => moduleOf(t).url?.(t);

/** The delivery id: the idempotency key of (message id, target), the same whoever enqueues it and however often. */
export function deliveryId(messageId: string, target: Target): string {
  return `dlv_${createHash('sha256').update(`${messageId}\n${targetKey(target)}`).digest('hex').slice(0, 32)}`;
}

/** The senders by channel type, all with the one Channel signature. */
export type ChannelRegistry = Record<ChannelType, Channel<Target>>;

/** Builds every channel's sender from the deps. */
export function createChannels(deps: ChannelDeps): { channels: ChannelRegistry; close(): void } {
  const channels = {} as ChannelRegistry;
  const closers: (() => void)[] = [];
  for (const c of CHANNELS) {
    const built = (c as unknown as ChannelModule<Target>).create(deps);
    channels[c.type] = built.send;
    if (built.close) closers.push(built.close);
  }
  return { channels, close: () => closers.forEach((close) => close()) };
}
