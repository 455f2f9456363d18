/**
 * Applies one dma-channel machine event to a real system and checks conformance: a legal event
 * (snapshot.can) must succeed and land the channel in the machine's next state; an illegal one
 * (wrong state or wrong side) must be refused and change nothing. The observed state comes from
 * registers (properties/dma/world.ts observedState), never from the implementation's own view.
 */
import { createActor, type Actor } from 'xstate';
import type { DmaChan, DmaSide } from '../../model/contract.ts';
import { DMA_PREP_FENCE, DMA_PREP_INTERRUPT, MIC_DMA_MAX_XFER_CARD, MIC_DMA_MAX_XFER_HOST, SMPT_WINDOW_BASE, channelOwner, dcrEnableBit } from '../../model/constants/dma.ts';
import { dmaChannelMachine, type DmaChannelEvent } from '../../model/machines/dma-channel.ts';
import { isDmaError, observedState, outstanding, type DmaWorld, clientOf } from './world.ts';

export const CONF_RING = 1024;

/** what a SUBMIT sends: a copy of `len` bytes or an immediate STATUS, with prep flags */
export interface SubmitShape {
  readonly kind: 'copy' | 'status';
  readonly len: number;
  readonly flags: number;
}

export function descriptorsOf(ch: number, s: SubmitShape): number {
  const max = channelOwner(ch) === 'host' ? MIC_DMA_MAX_XFER_HOST : MIC_DMA_MAX_XFER_CARD;
  const body = s.kind === 'status' ? 1 : Math.ceil(s.len / max);
  return body + (s.flags & DMA_PREP_FENCE ? 1 : 0) + (s.flags & DMA_PREP_INTERRUPT ? 2 : 0);
}

export interface ChannelRig {
  readonly world: DmaWorld;
  readonly ch: number;
  readonly actor: Actor<typeof dmaChannelMachine>;
  handle: DmaChan | undefined;
  /** "from:EVENT:to" keys of every legal transition taken */
  readonly taken: Set<string>;
}

export function makeRig(world: DmaWorld, ch: number): ChannelRig {
  const actor = createActor(dmaChannelMachine, { input: { channel: ch } });
  actor.start();
  return { world, ch, actor, handle: undefined, taken: new Set() };
}

const other = (s: DmaSide): DmaSide => (s === 'host' ? 'card' : 'host');

function snapshotRegs(rig: ChannelRig): string {
  return JSON.stringify(rig.world.dma.engine.regs(rig.ch));
}

function runUntilConsumed(rig: ChannelRig, extra: () => boolean): void {
  const { engine } = rig.world.dma;
  const before = engine.consumed(rig.ch);
  rig.world.sched.runUntil(() => engine.consumed(rig.ch) > before || engine.regs(rig.ch).dcherr !== 0 || extra(), { maxSteps: 10_000 });
}

/** performs `ev` on the system; returns a refusal description or undefined */
function perform(rig: ChannelRig, ev: DmaChannelEvent, shape: SubmitShape | undefined, legal: boolean): string | undefined {
  const { world, ch } = rig;
  const { engine } = world.dma;
  const owner = channelOwner(ch);
  if (ev.type === 'STEP') {
    runUntilConsumed(rig, () => false);
    return undefined;
  }
  if (ev.type === 'FAULT') {
    const name = `dma.ch${ch}.descError`;
    world.sched.faults.arm(name);
    if (legal) runUntilConsumed(rig, () => false);
    world.sched.faults.disarm(name);
    return undefined;
  }
  const side = ev.side;
  if (side !== owner) {
    // the wrong side has no handle: its attempts reach the client API or the hardware directly
    const port = engine.port(side);
    const r =
      ev.type === 'REQUEST'
        ? clientOf(world, side).requestChannel(ch)
        : ev.type === 'SUBMIT'
          ? port.writeChan(ch, 'DHPR', (engine.regs(ch).dhpr + 1) % CONF_RING)
          : ev.type === 'REINIT'
            ? port.writeChan(ch, 'DRAR_HI', engine.regs(ch).drarHi)
            : port.writeDcr(port.readDcr() ^ dcrEnableBit(ch));
    return isDmaError(r) && r.reason === 'wrong-owner' ? 'refused' : `wrong-side ${ev.type} not refused with wrong-owner`;
  }
  switch (ev.type) {
    case 'REQUEST': {
      const r = clientOf(world, side).requestChannel(ch);
      if (isDmaError(r)) return r.reason;
      rig.handle = r;
      return undefined;
    }
    case 'SUBMIT': {
      const h = rig.handle;
      if (h === undefined) return 'no handle';
      const s = shape!;
      const tx =
        s.kind === 'status'
          ? h.prepStatus(owner === 'host' ? SMPT_WINDOW_BASE + 0x40_0000 : 0x40_0000, 0x1234n, s.flags)
          : owner === 'host'
            ? h.prepMemcpy(0x20_0000, SMPT_WINDOW_BASE + 0x10_0000, s.len, s.flags)
            : h.prepMemcpy(0x60_0000, 0x20_0000, s.len, s.flags);
      if (isDmaError(tx)) return tx.reason;
      const c = tx.submit();
      if (isDmaError(c)) return c.reason;
      h.issuePending();
      return undefined;
    }
    case 'RELEASE': {
      const h = rig.handle;
      if (h === undefined) return 'no handle';
      if (h.phase === 'halted') {
        // a halted channel cannot drain: the documented outcome is EIO and a disabled channel
        const e = h.release();
        return e !== undefined && e.errno === 'EIO' ? undefined : `release of a halted channel returned ${JSON.stringify(e)}`;
      }
      const e = h.beginRelease();
      return e?.reason;
    }
    case 'POLL': {
      const h = rig.handle;
      if (h === undefined) return 'no handle';
      const wasActive = h.phase !== 'disabled';
      return wasActive && h.pollRelease() ? undefined : 'not drained';
    }
    case 'REINIT': {
      const h = rig.handle;
      if (h === undefined) return 'no handle';
      return h.reinit()?.reason;
    }
  }
}

/** applies the event to system and model; throws on non-conformance */
export function apply(rig: ChannelRig, ev: DmaChannelEvent, shape?: SubmitShape): void {
  const snap = rig.actor.getSnapshot();
  const from = String(snap.value);
  const legal = snap.can(ev);
  const regsBefore = snapshotRegs(rig);
  const obsBefore = observedState(rig.world, rig.ch);
  const refusal = perform(rig, ev, shape, legal);
  const label = `${ev.type}${'side' in ev ? `(${ev.side})` : ''} in ${from}`;
  if (legal) {
    if (refusal !== undefined) throw new Error(`channel ${rig.ch}: legal ${label} was refused: ${refusal}`);
    rig.actor.send(ev);
    rig.taken.add(`${from}:${ev.type}:${String(rig.actor.getSnapshot().value)}`);
  } else {
    const hardware = ev.type === 'STEP' || ev.type === 'FAULT';
    if (!hardware && refusal === undefined) throw new Error(`channel ${rig.ch}: illegal ${label} was accepted`);
    if (refusal !== undefined && refusal.startsWith('wrong-side')) throw new Error(`channel ${rig.ch}: ${refusal}`);
    const obsAfter = observedState(rig.world, rig.ch);
    if (obsAfter !== obsBefore || snapshotRegs(rig) !== regsBefore) throw new Error(`channel ${rig.ch}: refused ${label} changed the channel (${obsBefore} → ${obsAfter})`);
  }
  const want = String(rig.actor.getSnapshot().value);
  const got = observedState(rig.world, rig.ch);
  if (got !== want) throw new Error(`channel ${rig.ch}: after ${label} the registers show ${got}, the machine ${want}`);
  if (want === 'idle' || want === 'busy' || want === 'draining') {
    const p = rig.actor.getSnapshot().context.pending;
    const o = outstanding(rig.world, rig.ch, CONF_RING);
    if (p !== o) throw new Error(`channel ${rig.ch}: after ${label} ${o} descriptors outstanding, the machine says ${p}`);
  }
}

export { other };
