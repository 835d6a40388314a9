import { Router, type RequestHandler } from 'express';
import { badRequest } from '../../errors.js';
import { classify, classifyInputSchema, signalsFromInput, type ClassificationRules } from '../../ingest/index.js';
import { jsonBody } from '../body.js';

/**
 * POST /v1/classify: how syncwatch would classify a failure, and why (the rule and the
 * signals that made it hold). For runner authors and operators writing rules.
 */
export function classifyRouter(rules: ClassificationRules, guard: RequestHandler): Router {
  const router = Router();
  router.post('/v1/classify', guard, ...jsonBody(128 * 1024), (req, res) => {
    const parsed = classifyInputSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw badRequest('invalid_body', `${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const { category, code, retryable, rule, reason } = classify(signalsFromInput(parsed.data), rules);
    res.json({ category, code, retryable, rule, reason });
  });
  return router;
}
