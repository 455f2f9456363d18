/**
 * The model of a system with our mpssd running: the card-state machine and the daemon-boot machine
 * composed. After every command the daemon is told the state it would wake up to and the status it
 * would poll; its writes go back into the card-state machine until nothing changes. When the daemon
 * waits for a status that never comes, time passes for the host first (the kernel's 60 s PM timer
 * was armed before the daemon's 60 polls began), then the daemon's wait ends.
 */
import { createActor, type Actor } from 'xstate';
import type { MicSystem } from '../../model/contract.ts';
import { cardStateMachine, refusal, type CardStateEvent } from '../../model/machines/card-state.ts';
import { daemonBootMachine, type DaemonBootEvent } from '../../model/machines/daemon-boot.ts';
import type { SnapshotFrom } from 'xstate';

/** a daemon transition as "source event → target [writes]" (event arguments collapsed to the branch taken) */
export function daemonLabel(from: string, ev: DaemonBootEvent, to: SnapshotFrom<typeof daemonBootMachine>): string {
  return `${from} ${ev.type} → ${String(to.value)} [${to.context.writes.join(',')}]`;
}
import type { MicState, StateVerb } from '../../model/constants/lifecycle.ts';
import { daemonCmdline } from './oracle.ts';

export class DaemonComposite {
  readonly host: Actor<typeof cardStateMachine>;
  readonly daemon: Actor<typeof daemonBootMachine>;
  readonly writes: StateVerb[] = [];
  private notified: string | undefined;

  constructor(
    files: readonly string[],
    badFiles: readonly string[],
    /** told every daemon transition as a label (exhaustive coverage) */
    public onDaemon?: (label: string) => void,
  ) {
    this.host = createActor(cardStateMachine, { input: { files, badFiles } }).start();
    this.daemon = createActor(daemonBootMachine).start();
    // facts §8.1: mpssd sets the card's command line before its init thread boots it
    this.host.send({ type: 'attr.cmdline', value: daemonCmdline(0) });
    this.tell({ type: 'daemon.start', state: this.state });
    this.notified = this.state;
    this.applyWrites();
    this.react();
  }

  get state(): MicState {
    return this.host.getSnapshot().value as MicState;
  }

  /** a test command: the result the system must return, then the daemon's reaction */
  command(ev: CardStateEvent): string {
    const snap = this.host.getSnapshot();
    let result: string;
    if (snap.can(ev)) {
      this.host.send(ev);
      result = this.host.getSnapshot().context.result;
    } else result = refusal(ev);
    this.react();
    return result;
  }

  private tell(ev: DaemonBootEvent): void {
    const from = String(this.daemon.getSnapshot().value);
    this.daemon.send(ev);
    this.onDaemon?.(daemonLabel(from, ev, this.daemon.getSnapshot()));
  }

  private applyWrites(): void {
    for (const verb of this.daemon.getSnapshot().context.writes) {
      this.writes.push(verb);
      const ev: CardStateEvent = { type: `state.${verb}` };
      if (this.host.getSnapshot().can(ev)) this.host.send(ev);
    }
  }

  private react(): void {
    for (let guard = 0; guard < 64; guard++) {
      const mode = this.daemon.getSnapshot().value;
      const s = this.state;
      if (mode === 'watching') {
        if (s === this.notified) return;
        this.notified = s;
        this.tell({ type: 'host.state', state: s });
        this.applyWrites();
        continue;
      }
      if (mode === 'awaitingStatus') {
        this.tell({ type: 'host.status', status: this.host.getSnapshot().context.status });
        this.applyWrites();
        if (this.daemon.getSnapshot().value !== 'awaitingStatus') continue;
        if (this.host.getSnapshot().context.suspendWait) this.host.send({ type: 'time.passes' });
        else {
          this.tell({ type: 'poll.timeout' });
          this.applyWrites();
        }
        continue;
      }
      if (mode === 'resetting') {
        this.tell({ type: 'host.state', state: s });
        this.notified = s;
        this.applyWrites();
        if (this.daemon.getSnapshot().value === 'resetting') throw new Error(`composite: daemon stuck resetting in ${s}`);
        continue;
      }
      return;
    }
    throw new Error('composite: no fixpoint');
  }
}

/** state, shutdown_status and the daemon's writes of card 0 equal the composed model's */
export function assertComposite(sys: MicSystem, model: DaemonComposite, what: string): void {
  const { observe } = sys;
  const c = model.host.getSnapshot().context;
  if (observe.state(0) !== model.state || observe.shutdownStatus(0) !== c.status) {
    throw new Error(`after ${what}: ${observe.state(0)}/${observe.shutdownStatus(0)}, model says ${model.state}/${c.status} (via ${c.via})`);
  }
  if (JSON.stringify(observe.daemonWrites(0)) !== JSON.stringify(model.writes)) {
    throw new Error(`after ${what}: daemon wrote ${JSON.stringify(observe.daemonWrites(0))}, model says ${JSON.stringify(model.writes)}`);
  }
}
