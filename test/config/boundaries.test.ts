import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';

// The boundary check CI runs (`npm run check:boundaries`, .dependency-cruiser.cjs) must
// fail on a circle and on an import past another folder's index.ts, and pass on this
// repository. The fixture is a small src/ tree in a temporary directory, checked with
// the repository's own config and dependency-cruiser binary.

const ROOT = resolve(import.meta.dirname, '../..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const BIN = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

function depcruise(cwd: string) {
  const r = spawnSync(process.execPath, [BIN, 'src', '--config', CONFIG], { cwd, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'syncwatch-boundaries-'));
  const all = { 'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true } }), ...files };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('the boundary check', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  const clean = {
    'src/config.ts': 'export const config = { a: 1 };\n',
    'src/store/index.ts': "export { query } from './query.js';\n",
    'src/store/query.ts': "import { config } from '../config.js';\nexport const query = () => config.a;\n",
    'src/insights/index.ts': "export { health } from './health.js';\n",
    'src/insights/health.ts': "import { query } from '../store/index.js';\nimport { rules } from './rules.js';\nexport const health = () => query() + rules();\n",
    'src/insights/rules.ts': 'export const rules = () => 1;\n',
    'src/main.ts': "import { health } from './insights/index.js';\nexport const main = () => health();\n",
  };

  test('a tree that keeps its front doors and has no circles passes', () => {
    const dir = fixture(clean);
    dirs.push(dir);
    const r = depcruise(dir);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /no dependency violations found/);
  });

  test('an import past another folder’s index.ts fails, from a folder and from a file in src/', () => {
    const dir = fixture({
      ...clean,
      'src/alerts/index.ts': "import { rules } from '../insights/rules.js';\nexport const alert = () => rules();\n",
      'src/main.ts': "import { query } from './store/query.js';\nexport const main = () => query();\n",
    });
    dirs.push(dir);
    const r = depcruise(dir);
    assert.notEqual(r.status, 0, r.output);
    assert.match(r.output, /front-door: src\/alerts\/index\.ts → src\/insights\/rules\.ts/);
    assert.match(r.output, /front-door-from-shared: src\/main\.ts → src\/store\/query\.ts/);
  });

  test('a circle fails, even one made of type-only imports', () => {
    const dir = fixture({
      ...clean,
      'src/insights/rules.ts': "import type { Health } from './health.js';\nexport type Rules = Health;\nexport const rules = () => 1;\n",
      'src/insights/health.ts': "import { query } from '../store/index.js';\nimport { rules } from './rules.js';\nexport type Health = number;\nexport const health = () => query() + rules();\n",
    });
    dirs.push(dir);
    const r = depcruise(dir);
    assert.notEqual(r.status, 0, r.output);
    assert.match(r.output, /no-circular: src\/insights\/(health|rules)\.ts/);
  });

  test('this repository passes', () => {
    const r = depcruise(ROOT);
    assert.equal(r.status, 0, r.output);
  });
});
