/**
 * The repository stands on its own: every relative link in README.md and docs/ (and the
 * other READMEs) points at a file inside the repository, every #anchor names a heading of
 * the file it points at, and no file (code, tests, benchmarks, docs) cites a design file
 * the repository does not have.
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

/** Every text file under `dir` (relative to the root); node_modules, build output (dist) and images left out. */
function textFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist') walk(child);
      } else if (!/\.(png|jpe?g|gif|ico|gz|zip)$/i.test(entry.name)) out.push(child);
    }
  };
  if (existsSync(path.join(ROOT, dir))) walk(dir);
  return out;
}

/**
 * The team's design notes live outside the repository, so a pointer to them (a sibling
 * "shared" folder, the design and style files by name, or a numbered section of theirs)
 * is a dead end for anyone who clones it: code, tests, benchmarks and docs point at docs/
 * instead.
 */
test('no file points at the design notes the repository does not ship', () => {
  const roots = ['src', 'test', 'bench', 'docs', 'packages', 'templates', 'alert-rules', 'dashboards', 'scripts', '.ci'];
  const files = [...roots.flatMap(textFiles), 'README.md'];
  assert.ok(files.includes(path.join('src', 'main.ts')) && files.includes('README.md'), 'the scan reaches src/ and README.md');
  const cited: string[] = [];
  for (const file of files) {
    const lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const m of line.matchAll(/\.\.\/shared\/|\bDESIGN\b|STYLE\.md|§\s?\d/g)) cited.push(`${file}:${i + 1}: ${m[0]}`);
    });
  }
  assert.deepEqual(cited, []);
});
