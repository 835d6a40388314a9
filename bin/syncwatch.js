#!/usr/bin/env node
// Runs the compiled CLI when built (Docker, npm package), else the TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('../dist/cli.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  // The repository's tsconfig wherever this runs from: its paths map @syncwatch/sdk to the workspace sources.
  register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
  await import(new URL('../src/cli.ts', import.meta.url).href);
}
