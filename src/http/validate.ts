import type { z } from 'zod';
import { badRequest } from '../errors.js';

/** Parses query parameters with a zod schema; a bad one is a 400 that names it. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const name = issue.path.join('.') || 'query';
  const message = issue.message.replace(/^Invalid input: expected \w+, received undefined$/, 'is required');
  throw badRequest('invalid_parameter', `${name}: ${message}`);
}
