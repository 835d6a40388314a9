import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import { SOLE_LEADER, type Leadership } from '../leadership.js';
import { Links } from '../links.js';
import type { Logger } from '../logger.js';
import type { Driver } from '../store/index.js';
import type { RetryPolicy } from './backoff.js';
import { messageId } from './message-id.js';
export { messageId };
import { storeSlackMessages } from './slack-messages.js';
import { createChannels, targetUrl, type ChannelRegistry, type Target } from './registry.js';
import { createDatadogClient } from './datadog-client.js';
import { DatadogMetricsReporter } from './datadog-metrics.js';
import type { DeliveryResult, NotificationMessage, NotifiedAlert } from './model.js';
import { Outbox } from './outbox.js';
import { Dispatcher } from './dispatcher.js';
import { createEmailRenderer, type EmailRenderer } from './render.js';
import { checkWebhookUrl, type HostLookup } from './ssrf.js';

export type * from './model.js';
export { DELIVERY_STATUSES } from './model.js';
export { Outbox, type DispatchSummary } from './outbox.js';
export { Dispatcher, type DispatcherOptions, type DispatchedOutbox } from './dispatcher.js';
export type { Delivery, DeliveryAttempt, DeliveryFilter } from './outbox-store.js';
export { countDeadDeliveries } from './outbox-store.js';
export { DEFAULT_RETRY_POLICY, retryDelayMs, parseRetryAfter, type RetryPolicy } from './backoff.js';
export { checkWebhookUrl, isAddressAllowed, WebhookUrlError, type CheckedWebhookUrl, type HostLookup } from './ssrf.js';
export { signWebhook, webhookHeaders, webhookSecretSchema } from './webhook-sign.js';
export { targetSchema, publicTarget, describeTarget, deliveryId, targetKey, targetUrl, CHANNEL_TYPES, type Target, type ChannelType, type ChannelRegistry } from './registry.js';
export { redactUrl, webhookUrlSchema, withoutCredentials } from './http-post.js';
export { webhookPayload, viewAlert, subjectOf, signedLinks, type AlertView } from './view.js';
export { renderEmail } from './email.js';
export { createEmailRenderer, createHandlebars, formatAgo, formatMoney, formatNumber, formatPercent, formatTime, TEMPLATES_DIR, type EmailRenderer } from './render.js';
export { DatadogMetricsReporter, DATADOG_METRICS, DATADOG_METRIC_NAMES, HEALTH_GAUGE, type DatadogMetricName } from './datadog-metrics.js';
export { alertEvent } from './datadog.js';
export { createDatadogClient, type DatadogClient } from './datadog-client.js';
export { slackPayload } from './slack.js';
export { teamsPayload } from './teams.js';
export { pagerDutyEvent } from './pagerduty.js';
export { chatView } from './chat-view.js';

/** What a message is made from; `id` defaults to one derived from the content (see {@link createMessage}). */
export interface MessageInput {
  type: NotificationMessage['type'];
  alerts: NotifiedAlert[];
  audience: NotificationMessage['audience'];
  tenant: string | null;
  groupKey: string;
  createdAt: number;
  data?: Record<string, unknown>;
  id?: string;
}

/**
 * Builds a NotificationMessage. Without an explicit id, the id is derived from the type,
 * the group key and each alert's fingerprint and version, so re-building the message for
 * the same transition (say, after a restart) gives the same id and is not delivered twice.
 */
export function createMessage(input: MessageInput): NotificationMessage {
  const content = [input.type, input.groupKey, ...input.alerts.map((a) => `${a.fingerprint}@${a.version}`)].join('\n');
  const id = input.id ?? messageId(content);
  return { id, type: input.type, groupKey: input.groupKey, audience: input.audience, tenant: input.tenant, alerts: input.alerts, data: input.data, createdAt: input.createdAt };
}

/** Tuning for tests and deployments. */
export interface NotifierOptions {
  /** How often the dispatcher passes (and whether enqueues wake it); 0 = only when woken (tests drive it). Default 2000. */
  dispatchEveryMs?: number;
  /** Send Datadog metric series every minute (when DD_API_KEY is set). Default true. */
  reportMetrics?: boolean;
  policy?: Partial<RetryPolicy>;
  /** Timeout of one delivery attempt. Default 10 s. */
  timeoutMs?: number;
  concurrency?: number;
  templatesDir?: string;
  lookup?: HostLookup;
}

/** The notify capability of a running process. */
export interface Notifier {
  outbox: Outbox;
  channels: ChannelRegistry;
  metricsReporter: DatadogMetricsReporter;
  renderer: EmailRenderer;
  /** The one dispatcher of the outbox (the engine wakes it; so does every enqueue). */
  dispatcher: Dispatcher;
  /**
   * Loads pending deliveries and starts the dispatcher and the metrics schedule (worker
   * roles). Both act only while `leadership` leads: with several worker processes, the
   * alerting engine (the lease holder), so one of them sends.
   */
  start(leadership?: Leadership): Promise<void>;
  /** Stops the loops, waits for attempts in flight, closes SMTP connections. */
  stop(): Promise<void>;
  /** Sends a `test` message to a target now (customer URLs — webhook, Slack, Teams — SSRF-checked: throws WebhookUrlError). */
  sendTest(target: Target): Promise<DeliveryResult & { deliveryId: string; messageId: string }>;
}

/** Wires channels, the outbox and the Datadog metrics reporter from the config. */
export function createNotifier(deps: {
  config: Config;
  driver: Driver;
  clock?: Clock;
  log: Logger;
  /** Page links in messages; without a signer they are plain (unsigned) links. */
  links?: Links;
  options?: NotifierOptions;
}): Notifier {
  const { config, driver, log } = deps;
  const clock = deps.clock ?? systemClock;
  const links = deps.links ?? new Links(config.publicUrl, null, clock);
  const options = deps.options ?? {};
  const timeoutMs = options.timeoutMs ?? 10_000;
  const renderer = createEmailRenderer(options.templatesDir);
  const datadog = createDatadogClient(config.datadog);
  const slackMessages = storeSlackMessages(driver, () => clock.now(), (err) => log.warn({ err }, 'could not store which Slack message a group edits; a restart will post it anew'));
  const { channels, close } = createChannels({ config, datadog, links, renderer, timeoutMs, lookup: options.lookup, slackMessages });
  const outbox = new Outbox({ driver, channels, clock, log, policy: options.policy, timeoutMs, concurrency: options.concurrency });
  const dispatcher = new Dispatcher(outbox, clock, log, { everyMs: options.dispatchEveryMs ?? 2_000 });
  let leadership: Leadership = SOLE_LEADER;
  const metricsReporter = new DatadogMetricsReporter({ driver, datadog, health: config.health, clock, log, timeoutMs, shouldRun: () => leadership.isLeader });

  return {
    outbox,
    dispatcher,
    channels,
    metricsReporter,
    renderer,
    async start(lead = SOLE_LEADER) {
      leadership = lead;
      await outbox.load();
      dispatcher.start(lead);
      if (options.reportMetrics !== false) metricsReporter.start();
    },
    async stop() {
      await dispatcher.stop();
      await metricsReporter.stop();
      await outbox.drain();
      close();
    },
    async sendTest(target) {
      const url = targetUrl(target);
      if (url !== undefined) await checkWebhookUrl(url, config.webhookAllow, options.lookup);
      const message = createMessage({
        id: messageId(randomUUID(), 'test'),
        type: 'test',
        alerts: [],
        audience: 'operator',
        tenant: null,
        groupKey: 'test',
        createdAt: clock.now(),
      });
      return { ...(await outbox.sendNow(message, target)), messageId: message.id };
    },
  };
}
