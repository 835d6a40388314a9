import { createHash } from 'node:crypto';

/**
 * The id of a notification message: `msg_` (plus a kind, e.g. `msg_report_`) and the first
 * 32 hex digits of the SHA-256 of what makes the message what it is. The same content
 * always gives the same id, so a message re-built after a restart is recognised by the
 * outbox and by mail systems (its Message-ID) instead of being sent twice. Every message
 * id is made here; callers choose only the content.
 */
export function messageId(content: string, kind = ''): string {
  return `msg_${kind ? `${kind}_` : ''}${createHash('sha256').update(content).digest('hex').slice(0, 32)}`;
}
