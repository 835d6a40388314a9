// Copies the non-TypeScript files the compiled code reads at run time (SQL migrations,
// the OTLP .proto) from src/ to dist/, keeping their relative paths.
import { cpSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ASSETS = /\.(sql|proto)$/;

function copy(dir) {
  for (const name of readdirSync(dir)) {
    const from = path.join(dir, name);
    if (statSync(from).isDirectory()) copy(from);
    else if (ASSETS.test(name)) cpSync(from, path.join('dist', path.relative('src', from)));
  }
}

copy('src');
