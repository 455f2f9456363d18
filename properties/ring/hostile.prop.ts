/**
 * Claim: on a hostile ring (a valid ring with one corruption: a loop, a buffer or table outside the
 *   BAR0 windows, more than 2^32 bytes, an indirect table inside an indirect table, INDIRECT with
 *   NEXT or a bad table length, a writable descriptor before a readable one, avail idx advanced by
 *   more than the queue size, a head or next index out of range, a non-power-of-two queue size) the
 *   host device returns exactly the expected typed error, reports it once (the status then shows
 *   DEVICE_NEEDS_RESET), keeps it until a reset, which forgets it without touching memory, reads at
 *   most num + 2 descriptors for the chain (also enforced by the ports it is given: past
 *   8·(num + 2) + 32 accesses every access throws, so an unbounded walk fails at once), never writes the card's desc/avail area (no write
 *   access there, no write pin of it, and its bytes unchanged), and touches nothing
 *   outside its granted windows (no access faults, every access inside a grant).
 * Source: RING-01, RING-05, RING-08, RING-09, RING-10, RING-11, RING-13, RING-14, RING-07,
 *   FEAT-06, STATUS-07, RESET-01; DESIGN.md §6 (Hostile input); facts §6.6
 * Level: hostile
 */
import fc from 'fast-check';
import type { Implementation } from '../../model/contract.ts';
import { vringDesc, vringAvail, availSlotOffset, usedSize, vringInit } from '../../model/layout/vring.ts';
import { defineProperty } from '../harness.ts';
import { budgeted, createViews, granted, recording, isRingError, HOST_RING, CARD_USED, u16, WorkBudget, type Access } from './world.ts';
import { hostileInput, TABLE_ADDR, type HostileInput, type RawDesc } from './hostileRing.ts';
import type { MemPort } from '../../model/contract.ts';
import { VIRTIO_CONFIG_S_NEEDS_RESET } from '../../model/constants/virtio.ts';

function writeDesc(port: MemPort, at: number, d: RawDesc): void {
  const F = vringDesc.fields;
  port.write64(at + F.addr.offset, BigInt(d.addr));
  port.write32(at + F.len.offset, d.len);
  port.write16(at + F.flags.offset, d.flags);
  port.write16(at + F.next.offset, d.next);
}

function run(impl: Implementation, input: HostileInput): string | undefined {
  const { num, pick } = input;
  const views = createViews(impl);
  const { hostRam, cardRam, bar0 } = views;
  const o = vringInit(num, 4096);
  const desc = HOST_RING + o.desc;
  const avail = HOST_RING + o.avail;
  const log: Access[] = [];
  // the host's status register for this device, live (legacy: ACKNOWLEDGE, DRIVER, DRIVER_OK)
  const status = impl.ring!.createDeviceStatus({ legacy: true, offered: 0n });
  for (const v of [1, 3, 7]) if (status.write(v)) return `status step to ${v} refused`;
  let reported = 0;
  // the device's ports charge a budget, armed for the hostile chain: bounded work is enforced by
  // what the device is given, so a walk with no loop bound fails within a few hundred accesses
  const budget = new WorkBudget();
  const cfg = {
    onError: () => {
      reported++;
      status.needsReset();
    },
    num: pick.badNum ?? num,
    descAddr: desc,
    availAddr: avail,
    usedAddr: CARD_USED,
    eventIdx: false,
    indirect: input.indirect,
    startIdx: input.startIdx,
    ringMem: recording(budgeted(hostRam, budget), log, input.pins),
    usedMem: recording(budgeted(bar0, budget), log, input.pins),
    bufMem: recording(budgeted(bar0, budget), log, input.pins),
  };
  // the card's initial ring state at startIdx
  hostRam.write16(avail + vringAvail.fields.idx.offset, input.startIdx);
  const dev = impl.ring!.createDeviceRing(cfg);
  if (pick.badNum !== undefined) {
    if (!isRingError(dev) || dev.code !== 'queue-size') return `queue size ${pick.badNum} accepted (${isRingError(dev) ? dev.code : 'ring created'})`;
    return undefined;
  }
  if (isRingError(dev)) return `valid ring refused: ${dev.code} ${dev.detail}`;
  const chain = dev.newChain();
  let idx = input.startIdx;
  const publish = (head: number, advance: number): void => {
    hostRam.write16(avail + availSlotOffset(idx & (num - 1)), head);
    idx = u16(idx + advance);
    hostRam.write16(avail + vringAvail.fields.idx.offset, idx);
  };
  // valid traffic first, so the corruption meets a device in mid-life (and near the wrap)
  for (let k = 0; k < input.before; k++) {
    writeDesc(hostRam, desc, { addr: 0x40_0000 + k * 64, len: 32, flags: 0, next: 0 });
    publish(0, 1);
    const r = dev.pop(chain);
    if (r !== true) return `valid chain ${k} not fetched: ${isRingError(r) ? `${r.code} ${r.detail}` : 'nothing available'}`;
    const e = dev.push(chain.head, 0);
    if (e) return `valid chain ${k} not completed: ${e.code}`;
  }
  pick.ring.forEach((d, i) => writeDesc(hostRam, desc + i * vringDesc.size, d));
  pick.table.forEach((d, i) => writeDesc(cardRam, TABLE_ADDR + i * vringDesc.size, d));
  publish(pick.head, pick.advance);
  // from here on only the device acts: the card's desc/avail bytes must stay as they are (RING-07)
  const ringEnd = avail + o.usedEvent - o.avail + 2;
  const cardRing = hostRam.read(desc, ringEnd - desc);
  const before = dev.walkSteps;
  // num + 2 descriptor reads (RING-08 bound) of at most 8 accesses each, the avail idx and slot,
  // the pins of the areas and the second (sticky) pop below: anything past this is unbounded work
  budget.arm(8 * (num + 2) + 32, `${pick.kind} (queue size ${num})`);
  const r = dev.pop(chain);
  const steps = dev.walkSteps - before;
  if (!isRingError(r)) return `${pick.kind}: device accepted the chain (pop → ${String(r)}), expected ${pick.expect}`;
  if (r.code !== pick.expect) return `${pick.kind}: device said ${r.code} (${r.detail}), expected ${pick.expect}`;
  if (typeof r.req !== 'string' || !/^[A-Z]+-\d\d$/.test(r.req)) return `${pick.kind}: error names no requirement id (${String(r.req)})`;
  if (steps > num + 2) return `${pick.kind}: ${steps} descriptor reads for one chain, bound is ${num + 2}`;
  // sticky: the device needs a reset and does no further work
  const again = dev.pop(chain);
  if (!isRingError(again) || again.code !== pick.expect || dev.error?.code !== pick.expect) return `${pick.kind}: error not kept (second pop → ${isRingError(again) ? again.code : String(again)})`;
  if (dev.walkSteps !== before + steps) return `${pick.kind}: device walked again after failing`;
  budget.disarm();
  if (reported !== 1 || (status.read() & VIRTIO_CONFIG_S_NEEDS_RESET) === 0 || status.live) return `${pick.kind}: error reported ${reported} times, status 0x${status.read().toString(16)} (expected DEVICE_NEEDS_RESET, STATUS-07)`;
  // a device reset forgets the ring state and the error without touching memory (RESET-01/03)
  const touched = log.length;
  dev.reset();
  if (dev.error !== undefined || dev.lastAvailIdx !== input.startIdx || dev.usedIdx !== input.startIdx) return `${pick.kind}: reset left error ${dev.error?.code} / indices ${dev.lastAvailIdx}, ${dev.usedIdx}`;
  if (log.length !== touched) return `${pick.kind}: reset touched ring memory`;
  const after = hostRam.read(desc, ringEnd - desc);
  if (!(cardRing instanceof Uint8Array && after instanceof Uint8Array) || after.some((b, i) => b !== cardRing[i])) {
    return `${pick.kind}: the card's desc/avail bytes changed while only the device acted (RING-07)`;
  }
  // window discipline; a pin is one access of its whole range: reading desc/avail, writing the used ring (checked below)
  for (const a of log) {
    if (a.fault) return `${pick.kind}: device access faulted: ${a.write ? 'write' : 'read'} ${a.port} 0x${a.addr.toString(16)}+${a.len}`;
    if (a.port === hostRam.name) {
      if (a.write) return `${pick.kind}: device wrote the card's desc/avail area at 0x${a.addr.toString(16)} (RING-07)`;
      if (a.addr < desc || a.addr + a.len > ringEnd) return `${pick.kind}: device read host memory outside desc/avail at 0x${a.addr.toString(16)}`;
    } else {
      if (!granted(a.addr, a.len)) return `${pick.kind}: device touched card memory outside its grants at 0x${a.addr.toString(16)}+${a.len}`;
      if (a.write && (a.addr < CARD_USED || a.addr + a.len > CARD_USED + usedSize(num))) return `${pick.kind}: device wrote card memory outside the used ring at 0x${a.addr.toString(16)}`;
    }
  }
  return undefined;
}

export const hostile = defineProperty({
  id: 'ring.hostile',
  claim: 'each single corruption of a valid ring yields its typed error, bounded work, a sticky failure and no access outside the granted windows',
  source: 'RING-01/05/08/09/10/11/13/14, RING-07, FEAT-06, STATUS-07; DESIGN.md §6',
  level: 'hostile',
  requires: ['memory', 'ring'],
  runs: 500,
  build: (impl) =>
    fc.property(hostileInput, (input) => {
      const e = run(impl, input);
      if (e) throw new Error(e);
      return true;
    }),
});
