/**
 * The device byte tables against hand-computed sizes and, where gcc and linux-libc-dev are present,
 * against the system's <linux/virtio_net.h>, <linux/virtio_blk.h> and <linux/virtio_console.h>
 * (fixtures/c/devices_check.c prints offsetof/sizeof). Without them the cross-check skips with the
 * reason; the temporary build folder is removed afterwards.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Layout } from './table.ts';
import {
  VIRTIO_BLK_ID_BYTES, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT,
  VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_F_NEEDS_CSUM, virtioBlkConfig, virtioBlkOutHdr, virtioConsoleConfig, virtioNetConfig, virtioNetHdr,
} from './virtio-devices.ts';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'c', 'devices_check.c');
const dir = mkdtempSync(join(tmpdir(), 'micvop-devices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function build(): { bin: string } | { reason: string } {
  const cc = process.env.CC ?? 'gcc';
  try {
    execFileSync(cc, ['--version'], { stdio: 'pipe' });
  } catch {
    return { reason: `no C compiler ("${cc} --version" failed): install gcc to cross-check against <linux/virtio_*.h>` };
  }
  const bin = join(dir, 'devices_check');
  const r = spawnSync(cc, ['-std=c11', '-Wall', '-o', bin, SOURCE], { encoding: 'utf8' });
  if (r.status !== 0) {
    if (/virtio_(net|blk|console)\.h/.test(r.stderr ?? '')) return { reason: `<linux/virtio_*.h> not found: install linux-libc-dev (${(r.stderr ?? '').split('\n')[0]})` };
    throw new Error(`devices_check.c failed to compile:\n${r.stderr}`);
  }
  return { bin };
}

const TABLES: Record<string, Layout> = {
  virtio_net_hdr: virtioNetHdr,
  virtio_net_config: virtioNetConfig,
  virtio_console_config: virtioConsoleConfig,
  virtio_blk_outhdr: virtioBlkOutHdr,
  virtio_blk_config: virtioBlkConfig,
};

describe('virtio device structures (NET-02, BLK-02, CON-03)', () => {
  test('hand-computed sizes: net header 10, console config 12, block header 16, block config to wce 33 bytes', () => {
    expect(virtioNetHdr.size).toBe(10);
    expect(virtioConsoleConfig.size).toBe(12);
    expect(virtioBlkOutHdr.size).toBe(16);
    expect(virtioBlkConfig.fields.wce.offset + 1).toBe(33);
    expect(virtioBlkOutHdr.fields.sector.offset).toBe(8);
  });

  test('every field offset and size, and the constants, equal the system headers', (ctx) => {
    const built = build();
    if ('reason' in built) {
      ctx.skip(built.reason);
      return;
    }
    const lines = execFileSync(built.bin, { encoding: 'utf8' }).trim().split('\n');
    let fields = 0;
    for (const line of lines) {
      const [name, a, b, c, d] = line.split(' ');
      if (name === 'VIRTIO_BLK_T') expect([a, b, c, d].map(Number)).toEqual([VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID]);
      else if (name === 'VIRTIO_BLK_S') expect([a, b, c].map(Number)).toEqual([VIRTIO_BLK_S_OK, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_UNSUPP]);
      else if (name === 'VIRTIO_BLK_ID_BYTES') expect(Number(a)).toBe(VIRTIO_BLK_ID_BYTES);
      else if (name === 'VIRTIO_NET_HDR_F') expect([a, b].map(Number)).toEqual([VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_F_DATA_VALID]);
      else {
        const [struct, field] = name!.split('.') as [string, string];
        const table = TABLES[struct]!;
        if (field === 'sizeof') {
          expect(table.size, struct).toBe(Number(a));
          continue;
        }
        const f = (table.fields as Record<string, { offset: number; size: number }>)[field];
        expect(f, `${struct}.${field} in the table`).toBeDefined();
        expect([f!.offset, f!.size], `${struct}.${field}`).toEqual([Number(a), Number(b)]);
        fields++;
      }
    }
    expect(fields).toBe(29);
  });
});
