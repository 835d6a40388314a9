import nodemailer from 'nodemailer';
import type { Links } from '../links.js';
import type { Channel, DeliveryResult, NotificationMessage } from './model.js';
import type { EmailRenderer, RenderedEmail } from './render.js';
import { primaryStatusPage, scopeOf, signedLinks, subjectOf, viewAlert } from './view.js';
import { z } from 'zod';
import type { ChannelModule } from './channel-module.js';

/** Email: the addresses a message goes to. */
export interface EmailTarget {
  channel: 'email';
  to: string[];
}

/** What the email channel needs. */
export interface EmailChannelOptions {
  /** SMTP_URL; without it the channel answers "not configured". */
  smtpUrl?: string;
  /** SYNCWATCH_EMAIL_FROM. */
  from: string;
  links: Links;
  renderer: EmailRenderer;
  /** Connection, greeting and socket timeout of one attempt. */
  timeoutMs: number;
}

/** A rendered email: what the channel sends and what tests render. */
export interface EmailContent extends RenderedEmail {
  subject: string;
}

/** The template a message type renders with: alert.firing → alert-firing. */
export const templateOf = (message: NotificationMessage) => message.type.replace('.', '-');

/** Renders a message into a subject and HTML and text bodies from templates/*.hbs. */
export function renderEmail(message: NotificationMessage, renderer: EmailRenderer, links: Links): EmailContent {
  const alerts = message.alerts.map((a) => viewAlert(a, links, signedLinks(message)));
  const subject = subjectOf(message);
  const context = {
    subject,
    type: message.type,
    operator: message.audience === 'operator',
    message_id: message.id,
    created_at: message.createdAt,
    tenant: message.tenant,
    scope: scopeOf(message) || 'syncwatch',
    single: alerts.length === 1,
    alert: alerts[0],
    alerts,
    status_page_url: primaryStatusPage(message, links),
    public_url: links.publicUrl,
    data: message.data ?? {},
  };
  return { subject, ...renderer.render(templateOf(message), context) };
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
}

/** SMTP 4xx replies and connection trouble are transient; 5xx replies (unknown mailbox, auth refused) are not. */
function smtpFailure(err: SmtpError): DeliveryResult {
  const status = err.responseCode;
  const reason = (err.message || err.code || 'SMTP error').replace(/\s+/g, ' ').slice(0, 300);
  if (status !== undefined) return { ok: false, status, retryable: status >= 400 && status < 500, error: `SMTP ${status}: ${reason}` };
  const permanent = err.code === 'EENVELOPE' || err.code === 'EMESSAGE' || err.code === 'EAUTH';
  return { ok: false, retryable: !permanent, error: `SMTP: ${reason}` };
}

/** The email channel: nodemailer over SMTP_URL, HTML and text bodies from the templates. */
export function createEmailChannel(options: EmailChannelOptions): Channel<EmailTarget> & { close(): void } {
  const transport = options.smtpUrl
    ? nodemailer.createTransport({
        url: options.smtpUrl,
        connectionTimeout: options.timeoutMs,
        greetingTimeout: options.timeoutMs,
        socketTimeout: options.timeoutMs,
      } as Parameters<typeof nodemailer.createTransport>[0])
    : null;
  const domain = new URL(options.links.publicUrl).hostname || 'syncwatch';

  const channel: Channel<EmailTarget> = async (target, message) => {
    if (!transport) return { ok: false, retryable: false, error: 'email is not configured: set SMTP_URL' };
    if (!options.renderer.has(templateOf(message))) {
      return { ok: false, retryable: false, error: `no email template for ${message.type} (templates/${templateOf(message)}.html.hbs)` };
    }
    const content = renderEmail(message, options.renderer, options.links);
    try {
      const info = await transport.sendMail({
        from: options.from,
        to: target.to,
        subject: content.subject,
        html: content.html,
        text: content.text,
        // The same Message-ID on every retry, so a mail system that got it once can drop the copy.
        messageId: `<${message.id}@${domain}>`,
        headers: { 'X-Syncwatch-Message-Id': message.id, 'X-Syncwatch-Type': message.type },
      });
      const status = Number(/^(\d{3})/.exec(String(info.response ?? ''))?.[1] ?? 250);
      const rejected = (info.rejected ?? []).map(String);
      return { ok: true, status, retryable: false, ...(rejected.length ? { error: `rejected by the server: ${rejected.join(', ')}` } : {}) };
    } catch (err) {
      return smtpFailure(err as SmtpError);
    }
  };
  return Object.assign(channel, { close: () => transport?.close() });
}

/** Email to one or more addresses (tenants and operators). */
export const emailChannel: ChannelModule<EmailTarget> = {
  type: 'email',
  schema: z.strictObject({
    channel: z.literal('email'),
    to: z.array(z.email('must be an email address')).min(1, 'must name at least one address').max(50, 'at most 50 addresses'),
  }),
  key: (t) => `email:${[...new Set(t.to.map((a) => a.trim().toLowerCase()))].sort().join(',')}`,
  publicView: (t) => ({ channel: 'email', to: t.to }),
  describe: (t) => t.to.join(', '),
  create(deps) {
    const send = createEmailChannel({ smtpUrl: deps.config.smtp.url, from: deps.config.smtp.from, links: deps.links, renderer: deps.renderer, timeoutMs: deps.timeoutMs });
    return { send, close: () => send.close() };
  },
};
