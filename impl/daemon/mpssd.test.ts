import { describe, expect, test } from 'vitest';
import { createReferenceSystem } from '../system.ts';
import { BAR4, SPAD_INDEX } from '../../model/layout/sbox.ts';
import { BOOTSTRAP_BOOT_ADDR } from '../../model/constants/lifecycle.ts';
import { mpssdCmdline } from './cmdline.ts';

describe('mpssd command line (facts §8.1, §8.5, §3.2 step 6)', () => {
  test('each card gets 172.31.<id+1>.1 and boots with " mem=<MiB>M " + that line', () => {
    const s = createReferenceSystem({ cards: 2, daemon: true, cardMemoryBytes: 256 * 2 ** 20, trace: false });
    s.settle();
    for (const id of [0, 1]) {
      const want = `clocksource=tsc highres=off nohz=off cpufreq_on;corec6_off;pc3_off;pc6_off ifcfg=static;address,172.31.${id + 1}.1;netmask,255.255.255.0`;
      expect(mpssdCmdline(id)).toBe(want);
      expect(s.readAttr(id, 'cmdline')).toBe(want);
      expect(s.readAttr(id, 'state')).toBe('online');
      const size = s.drivers[id]!.regs.read32(BAR4.SPAD(SPAD_INDEX.FW_SIZE)) as number;
      const bytes = s.observe.cardView(id).read(BOOTSTRAP_BOOT_ADDR + size, 2048) as Uint8Array;
      const nul = bytes.indexOf(0);
      expect(nul).toBeGreaterThan(0);
      expect(new TextDecoder().decode(bytes.subarray(0, nul))).toBe(` mem=256M ${want}`);
    }
  });
});
