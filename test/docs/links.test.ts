/**
 * The repository stands on its own: every relative link in README.md and docs/ (and the
 * other READMEs) points at a file inside the repository, every #anchor names a heading of
 * the file it points at, and nothing cites a design file the repository does not have.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '../..');

function markdownFiles(): string[] {
  const out = ['README.md', 'templates/README.md', 'dashboards/README.md'].filter((f) => existsSync(path.join(ROOT, f)));
  const walk = (dir: string) => {
    for (const name of readdirSync(path.join(ROOT, dir))) {
      const rel = path.join(dir, name);
      if (statSync(path.join(ROOT, rel)).isDirectory()) walk(rel);
      else if (name.endsWith('.md')) out.push(rel);
    }
  };
  walk('docs');
  return out;
}

/** Markdown without fenced code blocks and inline code (links there are examples, not links). */
const prose = (text: string) => text.replace(/^(```|~~~)[\s\S]*?^\1/gm, '').replace(/`[^`\n]*`/g, '');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(file: string): Set<string> {
  const text = readFileSync(path.join(ROOT, file), 'utf8').replace(/^(```|~~~)[\s\S]*?^\1/gm, '');
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const plain = m[1].replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*_]/g, (c) => (c === '_' ? '_' : ''));
    const base = plain.toLowerCase().replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
  return anchors;
}

test('every relative link and anchor in README.md and docs/ resolves inside the repository', () => {
  const broken: string[] = [];
  const files = markdownFiles();
  assert.ok(files.includes('docs/architecture.md'), 'docs/architecture.md exists');
  for (const file of files) {
    const text = prose(readFileSync(path.join(ROOT, file), 'utf8'));
    for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
      const [rawPath, anchor] = target.split('#');
      const resolved = rawPath ? path.resolve(ROOT, path.dirname(file), decodeURIComponent(rawPath)) : path.join(ROOT, file);
      const where = `${file}: (${target})`;
      if (!resolved.startsWith(ROOT + path.sep) && resolved !== ROOT) broken.push(`${where} leaves the repository`);
      else if (!existsSync(resolved)) broken.push(`${where} does not exist`);
      else if (anchor && resolved.endsWith('.md') && !anchorsOf(path.relative(ROOT, resolved)).has(anchor)) broken.push(`${where} has no heading #${anchor}`);
    }
  }
  assert.deepEqual(broken, []);
});

test('no document cites the design files the repository does not ship (../shared/, "DESIGN.md §N")', () => {
  const cited: string[] = [];
  for (const file of markdownFiles()) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/\.\.\/shared\/|DESIGN\.md|STYLE\.md/g)) cited.push(`${file}: ${m[0]}`);
  }
  assert.deepEqual(cited, []);
});
