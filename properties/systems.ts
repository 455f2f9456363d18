/**
 * The only door from properties/ into an implementation (DESIGN.md §2, §5): a name maps to a
 * factory; "reference" is ours, anything else is a module path whose default export (or export
 * named `implementation`) is an Implementation.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Implementation } from '../model/contract.ts';
import { reference, referenceVopHost } from '../impl/index.ts';

export class ImplementationLoadError extends Error {}

export async function loadImplementation(ref: string = process.env.MICVOP_IMPL ?? 'reference'): Promise<Implementation> {
  if (ref === 'reference') return reference;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolve(ref)).href)) as Record<string, unknown>;
  } catch (e) {
    const msg = (e as Error).message;
    // tsx loads a .ts file outside an ESM package as CommonJS, which cannot require our ES modules
    const hint = /\.[cm]?ts$/.test(ref) && /require\(\)|require\(esm\)|ERR_REQUIRE_ESM|in a cycle/.test(msg)
      ? ' (a TypeScript module loaded as CommonJS: add "type": "module" to the package.json next to it, or name it .mts)'
      : '';
    throw new ImplementationLoadError(`cannot load implementation module "${ref}": ${msg}${hint}`);
  }
  const impl = (mod.implementation ?? mod.default) as Implementation | undefined;
  if (impl === undefined || typeof impl !== 'object' || typeof impl.name !== 'string') {
    throw new ImplementationLoadError(
      `module "${ref}" must export an Implementation (an object with a "name" and component groups) as default or as "implementation"`,
    );
  }
  return impl;
}

export { reference, referenceVopHost };
