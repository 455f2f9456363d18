/**
 * Coverage of the exhaustive lifecycle properties: declared transitions against those the replayed
 * paths took, each unreached one explained, reported once per process on stderr.
 */
const reported = new Set<string>();
export function report(name: string, text: string): void {
  if (reported.has(name)) return;
  reported.add(name);
  process.stderr.write(`[lifecycle.exhaustive] ${name}: ${text}\n`);
}

/**
 * Compares the declared transitions with those the paths reached: every unreached one must be
 * explained in `unreachable`, and every explained one must indeed be unreached. Returns the figure
 * ("n/m declared transitions") and one line per unreachable transition; throws on a mismatch.
 */
export function coverage(
  declared: readonly string[],
  reached: ReadonlySet<string>,
  unreachable: Readonly<Record<string, string>>,
): { figure: string; unreachableLines: string } {
  const missing = declared.filter((t) => !reached.has(t));
  const unexplained = missing.filter((t) => unreachable[t] === undefined);
  if (unexplained.length > 0) throw new Error(`declared transitions no path reaches: ${unexplained.join('; ')}`);
  const stale = Object.keys(unreachable).filter((t) => !missing.includes(t));
  if (stale.length > 0) throw new Error(`listed as unreachable but reached or not declared: ${stale.join('; ')}`);
  const extra = [...reached].filter((t) => !declared.includes(t));
  if (extra.length > 0) throw new Error(`paths took undeclared transitions: ${extra.join('; ')}`);
  return {
    figure: `${declared.length - missing.length}/${declared.length} declared transitions`,
    unreachableLines: missing.map((t) => `\n    unreachable ${t}: ${unreachable[t]}`).join(''),
  };
}
