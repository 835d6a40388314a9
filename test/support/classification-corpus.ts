import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { FailureSignals } from '../../src/ingest/index.js';

/** One error shape of test/fixtures/classification with its expected category and code. */
export interface CorpusCase {
  id: string;
  file: string;
  integration: string;
  source: string;
  split: 'train' | 'holdout';
  category: string;
  code: string;
  signals: FailureSignals;
}

interface RawCase {
  id: string; int: string; src: string; split: 'train' | 'holdout'; expect: string;
  status?: number; code?: string | number; type?: string; msg?: string; addr?: string; url?: string;
  kind?: string; exit?: number; retry_after?: boolean; outbound?: boolean; attrs?: Record<string, string>;
}

const DIR = fileURLToPath(new URL('../fixtures/classification/', import.meta.url));

/** Every corpus case, as the signals ingest would build from the event or span that carried it. */
export function loadCorpus(): CorpusCase[] {
  const cases: CorpusCase[] = [];
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort()) {
    const doc = parse(readFileSync(DIR + file, 'utf8')) as { sources: Record<string, string>; cases: RawCase[] };
    for (const c of doc.cases) {
      const [category, code] = c.expect.split('.');
      cases.push({
        id: c.id,
        file,
        integration: c.int,
        source: doc.sources[c.src],
        split: c.split,
        category,
        code,
        signals: {
          integration: c.int,
          message: c.msg,
          httpStatus: c.status,
          code: c.code === undefined ? undefined : String(c.code),
          errorType: c.type,
          serverAddress: c.addr,
          url: c.url,
          outbound: c.outbound ?? (c.kind === 'Client' ? true : undefined),
          exitCode: c.exit,
          retryAfter: c.retry_after,
          attributes: c.attrs,
        },
      });
    }
  }
  return cases;
}
