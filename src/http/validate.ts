import { z } from 'zod';
import { badRequest } from '../errors.js';

/** Parses query parameters with a zod schema; a bad one is a 400 that names it. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue.code === 'unrecognized_keys') throw unknownParameter(schema, issue.keys[0]);
  const name = issue.path.join('.') || 'query';
  const message = issue.message.replace(/^Invalid input: expected \w+, received undefined$/, 'is required');
  throw badRequest('invalid_parameter', `${name}: ${message}`);
}

/** A 400 for a parameter a strict schema does not take, listing the ones it does. */
function unknownParameter(schema: z.ZodType, key: string) {
  const known = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  const takes = known.length > 0 ? `; this endpoint takes ${known.join(', ')}` : '';
  return badRequest('invalid_parameter', `${key}: unknown parameter${takes}`);
}
