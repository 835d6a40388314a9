import { chatChannel } from './chat-channel.js';
import type { ChatView } from './chat-view.js';

// A Microsoft Teams workflow webhook ("When a Teams webhook request is received"): the URL carries its signature.

/**
 * The message a Teams workflow webhook posts: a `message` with one Adaptive Card
 * attachment (schema 1.4, the version Teams renders), title, paragraphs, a FactSet and
 * Action.OpenUrl buttons.
 */
export function teamsPayload(view: ChatView): Record<string, unknown> {
  const body: Record<string, unknown>[] = [
    { type: 'TextBlock', text: view.title, weight: 'Bolder', size: 'Medium', wrap: true },
    ...view.paragraphs.map((p) => ({ type: 'TextBlock', text: p, wrap: true })),
  ];
  if (view.facts.length) body.push({ type: 'FactSet', facts: view.facts });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          actions: view.links.map((l) => ({ type: 'Action.OpenUrl', title: l.title, url: l.url })),
        },
      },
    ],
  };
}

/** Microsoft Teams workflow webhooks with Adaptive Cards (tenants and operators). */
export const teamsChannel = chatChannel({ type: 'teams', label: 'Teams', urlMessage: 'must be the workflow webhook URL Teams gave you', maxUrlLength: 4096, payload: teamsPayload });
