import { readFileSync } from 'node:fs';

// package.json sits one level above both src/ and dist/, so this resolves in either.
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** syncwatch's version, from package.json. */
export const VERSION: string = pkg.version;
