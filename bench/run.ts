/**
 * npm run bench [-- --json FILE] [--only AREA[,AREA]]
 * Prints a table of every benchmark; --json writes the records as a JSON array.
 */
import { writeFileSync } from 'node:fs';
import { formatTable, type BenchRecord, type BenchSuite } from './harness.ts';
import { suite as sim } from './sim.ts';
import { suite as memory } from './memory.ts';
import { suite as pcie } from './pcie.ts';
import { suite as dma } from './dma.ts';
import { suite as ring } from './ring.ts';
import { suite as lifecycle } from './lifecycle.ts';
import { suite as vop } from './vop.ts';
import { suite as devices } from './devices.ts';

const suites: readonly BenchSuite[] = [sim, memory, pcie, dma, ring, lifecycle, vop, devices];

function usage(msg: string): never {
  process.stderr.write(`bench: ${msg}\nusage: npm run bench -- [--json FILE] [--only AREA[,AREA...]]\nareas: ${suites.map((s) => s.area).join(', ')}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let jsonFile: string | undefined;
let only: string[] | undefined;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--json') {
    jsonFile = args[++i];
    if (!jsonFile) usage('--json needs a file name');
  } else if (a === '--only') {
    const v = args[++i];
    if (!v) usage('--only needs a list of areas');
    only = v.split(',');
    const unknown = only.filter((o) => !suites.some((s) => s.area === o));
    if (unknown.length) usage(`unknown area(s): ${unknown.join(', ')}`);
  } else usage(`unknown argument "${a}"`);
}

const records: BenchRecord[] = [];
for (const s of suites) {
  if (only && !only.includes(s.area)) continue;
  process.stderr.write(`bench: ${s.area}…\n`);
  records.push(...(await s.run()));
}
process.stdout.write(`${formatTable(records)}\n`);
if (jsonFile) {
  writeFileSync(jsonFile, `${JSON.stringify(records, null, 2)}\n`);
  process.stdout.write(`wrote ${records.length} records to ${jsonFile}\n`);
}
