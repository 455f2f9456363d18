#!/usr/bin/env node
// The `micvop` command. In a checkout it runs cli/main.ts through the TypeScript loader (tsx); an
// installed package has no sources, only the JavaScript built into dist/ (npm pack runs the build).
// tsx is registered either way, so `verify --impl` can load an implementation written in TypeScript.
import { existsSync } from 'node:fs';
import { register } from 'tsx/esm/api';

register();
// a closed pipe (micvop list | head) ends the command quietly
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const source = new URL('./main.ts', import.meta.url);
const { main } = await import(existsSync(source) ? source.href : new URL('../dist/cli/main.js', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
