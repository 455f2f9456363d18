/**
 * One card's software: the bootstrap ROM and the card OS it starts (facts §3.1–3.3).
 *  - RGCR bit 0 (host reset): everything on the card stops; after CARD_RESET_NS the bootstrap
 *    publishes "ready for download" with the boot address and BSP APIC id in SPAD2. The fault point
 *    `card<N>.resetHang` keeps the card in reset (the host then polls 45 times and gives up).
 *  - The bootstrap interrupt (APICICR7, vector 229): the bootstrap clears SPAD2, takes SPAD5 bytes
 *    at the boot address, validates our image format (model/layout/card-image.ts) and starts the
 *    OS. A bad image is refused: the OS never comes up (POSTCODE says why), so the host — which
 *    calls the card online right after the interrupt — sees an online card with no shutdown
 *    doorbell and no devices.
 */
import type { CardSideState, ImageDamage, MemPort, PcieEndpoint, Scheduler } from '../../model/contract.ts';
import { BAR4, REG_ARRAYS, SPAD_INDEX, RGCR_RESET, apicicrBits, downloadInfoBits } from '../../model/layout/sbox.ts';
import { alignUp, getBits, PAGE_SIZE, setBits } from '../../model/layout/table.ts';
import { cardImageHeader, checkCardImage } from '../../model/layout/card-image.ts';
import { BOOT_ADDR_MASK, BOOTSTRAP_APIC_ID, BOOTSTRAP_BOOT_ADDR, CARD_RESET_NS, POSTCODE, type CardShutdownKind } from '../../model/constants/lifecycle.ts';
import { BOOTSTRAP_DOORBELL, BOOTSTRAP_VECTOR, CARD_DOORBELL_IRQ_BASE } from '../../model/constants/pcie.ts';
import { CardDoorbells } from './doorbells.ts';
import { CardOs } from './os.ts';
import { CardBufferHeap } from './vop/buffers.ts';
import type { CardVdev } from './vop/vdev.ts';
import { createDriverRing } from '../virtio/ring/driver.ts';
import { CardServiceSet } from './services/services.ts';

/** the longest kernel command line the OS reads after its image [model choice: a page] */
const CMDLINE_MAX = 4096;

/** the NUL-terminated command line the host wrote right after the image (facts §3.2 step 6, §10) */
function readCmdline(mem: MemPort, at: number): string | undefined {
  const bytes = mem.read(at, Math.max(0, Math.min(CMDLINE_MAX, mem.size - at)));
  if (!(bytes instanceof Uint8Array)) return undefined;
  const nul = bytes.indexOf(0);
  return new TextDecoder().decode(bytes.subarray(0, nul < 0 ? bytes.length : nul));
}

/** card RAM the OS allocates from (above the image at 64 MiB and a ramdisk of up to 64 MiB at 128 MiB) [model choice] */
export const CARD_HEAP_BASE = 192 * 2 ** 20;

/** SPAD2 as the bootstrap leaves it after a reset (facts §3): boot address, BSP APIC id, fw ready */
function readyDownloadInfo(): number {
  const f = downloadInfoBits.fields;
  let w = setBits(0n, f.BOOT_ADDR, BigInt(BOOTSTRAP_BOOT_ADDR / 2 ** f.BOOT_ADDR.lsb));
  w = setBits(w, f.APIC_ID, BigInt(BOOTSTRAP_APIC_ID));
  return Number(setBits(w, f.FW_READY, 1n));
}

export class Card {
  side: CardSideState = 'in_reset';
  os: CardOs | undefined;
  /** bumped by every reset and crash; work of an older generation does nothing */
  private gen = 0;
  /** card RAM for virtio buffers (impl/card/vop/buffers.ts) */
  private readonly heap: CardBufferHeap;
  private heapNext = CARD_HEAP_BASE;
  private damage: ImageDamage | undefined;
  private readonly ringHistory: { cardAddr: number; len: number }[] = [];
  readonly doorbells = new CardDoorbells();
  readonly who: string;
  readonly resetFault: string;
  /** the card OS came up / went away (the system registers the card's DMA mbus device on them) */
  readonly hooks = { osUp: [] as (() => void)[], osDown: [] as (() => void)[] };
  /** the card's drivers and services as its software offers them, across every OS generation */
  readonly services: CardServiceSet;

  constructor(
    private readonly sched: Scheduler,
    private readonly ep: PcieEndpoint,
    /** the card's physical address space as its software uses it (default the endpoint's; a publication probe may sit in front) */
    private readonly view: MemPort = ep.cardView,
    /** the OS runs its virtio drivers (off: tests drive the bound devices themselves) */
    private readonly withDrivers = true,
  ) {
    this.who = `card${ep.index}`;
    this.heap = new CardBufferHeap(ep.cardMemory);
    this.resetFault = `card${ep.index}.resetHang`;
    this.services = new CardServiceSet(ep.index, sched, () => this.virtioDevices());
    sched.faults.declare(this.resetFault, 'the next card reset never completes (SPAD2 never says ready)');
    ep.regs.hook(BAR4.RGCR, 4, {
      write: (off, value) => {
        // the reset bit is a command: it does not stay set
        ep.regs.poke(off, value & ~RGCR_RESET);
        if ((value & RGCR_RESET) !== 0) this.hardwareReset();
      },
    });
    ep.onCardIrq((irq) => this.irq(irq));
    // power-on: the card comes out of reset by itself
    this.hardwareReset();
  }

  private setSide(s: CardSideState): void {
    if (s !== this.side) this.sched.trace.record(this.who, `card ${this.side} → ${s}`);
    this.side = s;
  }

  alive(gen: number): boolean {
    return gen === this.gen && (this.side === 'os_running' || this.side === 'shutting_down');
  }

  private hardwareReset(): void {
    if (this.os !== undefined) for (const h of this.hooks.osDown) h();
    this.gen++;
    this.os?.devices?.drop();
    this.os = undefined;
    this.doorbells.clear();
    this.heapNext = CARD_HEAP_BASE;
    this.heap.clear();
    this.setSide('in_reset');
    this.ep.regs.poke(BAR4.POSTCODE, POSTCODE.IN_RESET);
    // some steppings lose the MSI-X mapping registers across a reset (facts §1.3); ours all do
    for (let v = 0; v < REG_ARRAYS.MXAR.count; v++) this.ep.regs.poke(BAR4.MXAR(v), 0);
    if (this.sched.faults.hit(this.resetFault)) return;
    const gen = this.gen;
    this.sched.after(CARD_RESET_NS, this.who, 'reset done', () => {
      if (gen !== this.gen) return;
      this.ep.regs.write32(BAR4.SPAD(SPAD_INDEX.DOWNLOAD_INFO), readyDownloadInfo());
      this.ep.regs.poke(BAR4.POSTCODE, POSTCODE.READY);
      this.setSide('bootstrap_ready');
    });
  }

  private irq(irq: number): void {
    if (irq === CARD_DOORBELL_IRQ_BASE + BOOTSTRAP_DOORBELL && this.side === 'bootstrap_ready') {
      const vector = Number(getBits(BigInt(this.ep.regs.peek(BAR4.APICICR(BOOTSTRAP_DOORBELL)) >>> 0), apicicrBits.fields.VECTOR));
      if (vector === BOOTSTRAP_VECTOR) return this.sched.post(this.who, 'bootstrap download', () => this.takeDownload());
    }
    this.doorbells.dispatch(irq);
  }

  /** the next image found at the boot address is damaged (as if the file or transfer were) */
  damageNextImage(how: ImageDamage): void {
    this.damage = how;
  }

  private takeDownload(): void {
    if (this.side !== 'bootstrap_ready') return;
    const regs = this.ep.regs;
    const info = regs.peek(BAR4.SPAD(SPAD_INDEX.DOWNLOAD_INFO));
    regs.write32(BAR4.SPAD(SPAD_INDEX.DOWNLOAD_INFO), 0);
    const bootAddr = (info & BOOT_ADDR_MASK) >>> 0;
    let size = regs.peek(BAR4.SPAD(SPAD_INDEX.FW_SIZE));
    const mem = this.ep.cardMemory;
    size = Math.max(0, Math.min(size, mem.size - bootAddr));
    const cmdline = readCmdline(mem, bootAddr + size);
    if (this.damage === 'truncated') size = Math.max(0, size - 1);
    const bytes = mem.read(bootAddr, size);
    if (!(bytes instanceof Uint8Array)) return this.reject();
    const magicAt = cardImageHeader.fields.magic.offset;
    if (this.damage === 'magic' && bytes.length > magicAt) bytes[magicAt] = (bytes[magicAt]! ^ 0xff) & 0xff;
    if (this.damage === 'checksum' && bytes.length > cardImageHeader.size) {
      const i = bytes.length - 1;
      bytes[i] = (bytes[i]! ^ 0x01) & 0xff;
    }
    this.damage = undefined;
    const r = checkCardImage(bytes, size);
    if (typeof r === 'string') {
      this.sched.trace.record(this.who, `bootstrap: image refused (${r})`);
      return this.reject();
    }
    regs.poke(BAR4.POSTCODE, POSTCODE.IMAGE_OK);
    const gen = this.gen;
    this.os = new CardOs(
      {
        sched: this.sched,
        who: this.who,
        regs,
        view: this.view,
        doorbells: this.doorbells,
        heap: this.heap,
        allocCard: (n) => this.allocCard(n),
        createDriverRing,
        upcalls: this.withDrivers ? this.services.upcalls : undefined,
        alive: (g) => this.alive(g),
        setSide: (s) => {
          if (gen === this.gen) this.setSide(s);
        },
      },
      gen,
    );
    const os = this.os;
    os.start();
    // devices go live only after the used-address handshake: the services follow the new drivers first
    if (os.drivers !== undefined) this.services.boot(os.drivers, cmdline);
    if (os.driverError === undefined) for (const h of this.hooks.osUp) h();
  }

  private reject(): void {
    this.damage = undefined;
    this.ep.regs.poke(BAR4.POSTCODE, POSTCODE.BAD_IMAGE);
    this.setSide('image_rejected');
  }

  private allocCard(size: number): number | undefined {
    const at = this.heapNext;
    if (at + size > this.ep.cardMemory.size) return undefined;
    this.heapNext = at + alignUp(size, PAGE_SIZE);
    if (this.ep.cardMemory.fill(at, size, 0) !== undefined) return undefined;
    if (!this.ringHistory.some((r) => r.cardAddr === at)) this.ringHistory.push({ cardAddr: at, len: size });
    return at;
  }

  // ---- card software controls ------------------------------------------------------------------

  /** halt / poweroff / restart from card software: false when no OS runs */
  shutdownFromCard(kind: CardShutdownKind): boolean {
    if (this.side !== 'os_running' || this.os === undefined) return false;
    this.os.orderlyShutdown(kind);
    return true;
  }

  /** a panic can also hit an OS that is already shutting down */
  panic(): boolean {
    if ((this.side !== 'os_running' && this.side !== 'shutting_down') || this.os === undefined) return false;
    const os = this.os;
    os.panic();
    for (const h of this.hooks.osDown) h();
    this.gen++;
    return true;
  }

  /** the virtio devices the card's VOP transport bound (the card drivers' API) */
  virtioDevices(): CardVdev[] {
    const up = this.side === 'os_running' || this.side === 'shutting_down';
    return up ? (this.os?.devices?.devices() ?? []) : [];
  }

  liveDevices(): { type: number; offset: number; numVq: number }[] {
    if (this.side !== 'os_running' && this.side !== 'shutting_down') return [];
    const out: { type: number; offset: number; numVq: number }[] = [];
    for (const d of this.os?.devices?.bound.values() ?? []) if (d.live) out.push({ type: d.type, offset: d.offset, numVq: d.shape.numVq });
    return out.sort((a, b) => a.offset - b.offset);
  }

  /** every used ring any OS generation allocated (stale ones too: the host must not write them either) */
  cardRings(): readonly { cardAddr: number; len: number }[] {
    return this.ringHistory;
  }
}
