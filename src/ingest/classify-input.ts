import { z } from 'zod';
import type { FailureSignals } from './types.js';

const text = (max: number) => z.string().max(max);

/**
 * A failure to classify, as `POST /v1/classify` and `syncwatch classify --json` take it:
 * the fields of an event's `error` object (snake_case), plus the context a span carries.
 */
export const classifyInputSchema = z.strictObject({
  integration: text(200).optional(),
  message: text(64 * 1024).optional(),
  http_status: z.number().int().min(100).max(599).optional(),
  code: text(200).optional(),
  type: text(300).optional(),
  category: text(50).optional(),
  retry_after: z.union([z.boolean(), z.number(), z.string()]).optional(),
  exit_code: z.number().int().optional(),
  server_address: text(300).optional(),
  url: text(2048).optional(),
  outbound: z.boolean().optional(),
  attributes: z.record(text(200), text(4096)).optional(),
});

/** A parsed classify input. */
export type ClassifyInput = z.output<typeof classifyInputSchema>;

/** The signals classification reads, from a classify input. */
export function signalsFromInput(input: ClassifyInput): FailureSignals {
  return {
    integration: input.integration,
    message: input.message,
    httpStatus: input.http_status,
    code: input.code,
    errorType: input.type,
    category: input.category,
    retryAfter: input.retry_after === undefined || input.retry_after === false ? undefined : true,
    exitCode: input.exit_code,
    serverAddress: input.server_address ?? input.attributes?.['server.address'],
    url: input.url ?? input.attributes?.['url.full'],
    outbound: input.outbound,
    attributes: input.attributes,
  };
}
