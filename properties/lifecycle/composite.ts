/**
 * The model of a system with our mpssd running: the card-state machine and the daemon-boot machine
 * composed. After every command the daemon is told the state it would wake up to and the status it
 * would poll; its writes go back into the card-state machine until nothing changes. When the daemon
 * waits for a status that never comes, time passes for the host first (the kernel's 60 s PM timer
 * was armed before the daemon's 60 polls began), then the daemon's wait ends.
 */
import { createActor, type Actor } from 'xstate';
import { cardStateMachine, refusal, type CardStateEvent } from '../../model/machines/card-state.ts';
import { daemonBootMachine } from '../../model/machines/daemon-boot.ts';
import type { MicState, StateVerb } from '../../model/constants/lifecycle.ts';

export class DaemonComposite {
  readonly host: Actor<typeof cardStateMachine>;
  readonly daemon: Actor<typeof daemonBootMachine>;
  readonly writes: StateVerb[] = [];
  private notified: string | undefined;

  constructor(files: readonly string[], badFiles: readonly string[]) {
    this.host = createActor(cardStateMachine, { input: { files, badFiles } }).start();
    this.daemon = createActor(daemonBootMachine).start();
    this.daemon.send({ type: 'daemon.start', state: this.state });
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
        this.daemon.send({ type: 'host.state', state: s });
        this.applyWrites();
        continue;
      }
      if (mode === 'awaitingStatus') {
        this.daemon.send({ type: 'host.status', status: this.host.getSnapshot().context.status });
        this.applyWrites();
        if (this.daemon.getSnapshot().value !== 'awaitingStatus') continue;
        if (this.host.getSnapshot().context.suspendWait) this.host.send({ type: 'time.passes' });
        else {
          this.daemon.send({ type: 'poll.timeout' });
          this.applyWrites();
        }
        continue;
      }
      if (mode === 'resetting') {
        this.daemon.send({ type: 'host.state', state: s });
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
