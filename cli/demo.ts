/** `micvop demo` / `npm start`: shows what the reference implementation does today, from real runs only. */
import { reference } from '../properties/systems.ts';

export async function demo(_argv: string[]): Promise<number> {
  const impl = reference;
  const groups = (['sim', 'memory', 'pcie', 'dma', 'ring', 'system'] as const).filter((g) => impl[g] !== undefined);
  process.stdout.write(`micvop reference implementation: component groups present: ${groups.join(', ') || '(none yet)'}\n`);
  return 0;
}
