#!/usr/bin/env node
// The `micvop` command: registers the TypeScript loader (tsx) and runs cli/main.ts.
import { register } from 'tsx/esm/api';

register();
// a closed pipe (micvop list | head) ends the command quietly
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
