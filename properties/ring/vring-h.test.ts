/**
 * Cross-check with the real header (issue 4 item 4; DESIGN.md §4): a C program compiled against the
 * system's <linux/virtio_ring.h> (Debian package linux-libc-dev, compiler from gcc) computes
 * vring_size and the vring_init offsets for every power-of-two queue size 1..32768 and evaluates
 * vring_need_event on fast-check inputs; model/layout/vring.ts and the implementation's needEvent
 * must give identical answers. Without a C compiler or the header the tests skip visibly with the
 * reason.
 */
import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vringSize, vringInit, vringDesc, vringAvail, vringUsedElem, vringUsed } from '../../model/layout/vring.ts';
import { loadImplementation } from '../systems.ts';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'c', 'vring_check.c');

const buildDir = mkdtempSync(join(tmpdir(), 'micvop-vring-'));
afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

/** the compiled checker, or why it cannot be had */
function build(): { bin: string } | { reason: string } {
  const cc = process.env.CC ?? 'gcc';
  try {
    execFileSync(cc, ['--version'], { stdio: 'pipe' });
  } catch {
    return { reason: `no C compiler ("${cc} --version" failed): install gcc to run the <linux/virtio_ring.h> cross-check` };
  }
  const bin = join(buildDir, 'vring_check');
  const r = spawnSync(cc, ['-std=c11', '-O1', '-Wall', '-o', bin, SOURCE], { encoding: 'utf8' });
  if (r.status !== 0) {
    if (/virtio_ring\.h/.test(r.stderr ?? '')) return { reason: `<linux/virtio_ring.h> not found: install linux-libc-dev (${(r.stderr ?? '').split('\n')[0]})` };
    throw new Error(`vring_check.c failed to compile:\n${r.stderr}`);
  }
  if (!existsSync(bin)) throw new Error('compiler reported success but produced no binary');
  return { bin };
}

const built = build();

describe('linux/virtio_ring.h cross-check', () => {
  test('vring_size and vring_init offsets for num = 1..32768 (powers of two), align 4..4096', (ctx) => {
    if ('reason' in built) {
      ctx.skip(built.reason);
      return;
    }
    const out = execFileSync(built.bin, ['layout'], { encoding: 'utf8' }).trim().split('\n');
    const sizes = out.pop()!.split(' ');
    expect(sizes.slice(1).map(Number)).toEqual([vringDesc.size, vringAvail.size, vringUsedElem.size, vringUsed.size]);
    expect(out.length).toBe(4 * 16);
    for (const line of out) {
      const [num, align, size, desc, avail, usedEvent, used, availEvent] = line.split(' ').map(Number) as [number, number, number, number, number, number, number, number];
      const o = vringInit(num, align);
      expect({ num, align, size: vringSize(num, align), desc: o.desc, avail: o.avail, usedEvent: o.usedEvent, used: o.used, availEvent: o.availEvent }).toEqual({ num, align, size, desc, avail, usedEvent, used, availEvent });
    }
  });

  test('vring_need_event on fast-check inputs equals the implementation needEvent', async (ctx) => {
    if ('reason' in built) {
      ctx.skip(built.reason);
      return;
    }
    const impl = await loadImplementation();
    if (impl.ring === undefined) {
      ctx.skip(`implementation "${impl.name}" has no ring components`);
      return;
    }
    const ring = impl.ring;
    const u16 = fc.nat({ max: 0xffff });
    // near-wrap values and small windows, where off-by-ones live
    const edge = fc.oneof(u16, fc.integer({ min: 0xfff0, max: 0xffff }), fc.nat({ max: 16 }));
    const triple = fc.tuple(edge, edge, edge);
    const related = fc.tuple(u16, fc.nat({ max: 130 }), fc.integer({ min: -3, max: 3 })).map(([old, n, d]) => [(old + n + d + 0x10000) & 0xffff, (old + n) & 0xffff, old] as [number, number, number]);
    fc.assert(
      fc.property(fc.array(fc.oneof(triple, related), { minLength: 1, maxLength: 400 }), (triples) => {
        const input = triples.map((t) => t.join(' ')).join('\n') + '\n';
        const c = execFileSync(built.bin, ['need_event'], { input, encoding: 'utf8' }).trim().split('\n').map((s) => s === '1');
        const ts = triples.map(([ev, nw, old]) => ring.needEvent(ev, nw, old));
        expect(ts).toEqual(c);
      }),
      { numRuns: 25, seed: 0x5eed },
    );
  });
});
