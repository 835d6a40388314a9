import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const FIXTURE = fileURLToPath(new URL('../fixtures/alert-rules/streaming.yaml', import.meta.url));

/**
 * The rules of test/fixtures/alert-rules/streaming.yaml with these names, in this order, as
 * the text of a rules file. Each reader loads only the rules it is about, so a rule written
 * for another reader cannot fire in its scenario; a name the fixture lacks throws.
 */
export function streamingRules(...names: string[]): string {
  const { rules } = parse(readFileSync(FIXTURE, 'utf8')) as { rules: { name: string }[] };
  const picked = names.map((name) => {
    const rule = rules.find((r) => r.name === name);
    if (!rule) throw new Error(`${FIXTURE} has no rule named ${name}`);
    return rule;
  });
  return stringify({ rules: picked });
}
