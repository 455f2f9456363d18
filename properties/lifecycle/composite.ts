/**
 * The model of a system with our mpssd running, as a stateful object for the step-by-step
 * properties (invariants, hostile card). It holds the one composition of the card-state and
 * daemon-boot machines, composed-logic.ts (the same one the exhaustive daemon property walks with
 * xstate/graph), and advances it one test command at a time.
 */
import type { MicSystem } from '../../model/contract.ts';
import type { CardStateEvent } from '../../model/machines/card-state.ts';
import type { MicState, StateVerb } from '../../model/constants/lifecycle.ts';
import { composedInitial, composedStep, type Composed } from './composed-logic.ts';

export class DaemonComposite {
  private c: Composed;

  constructor(files: readonly string[], badFiles: readonly string[]) {
    this.c = composedInitial({ files, badFiles });
  }

  /** the card-state machine's snapshot */
  get host(): Composed['host'] {
    return this.c.host;
  }

  get state(): MicState {
    return this.c.host.value as MicState;
  }

  /** every state write of the daemon so far, in order */
  get writes(): readonly StateVerb[] {
    return this.c.writes;
  }

  /** a test command: the result the system must return, then the daemon's reaction */
  command(ev: CardStateEvent): string {
    this.c = composedStep(this.c, ev);
    return this.c.result;
  }
}

/** state, shutdown_status and the daemon's writes of card 0 equal the composed model's */
export function assertComposite(sys: MicSystem, model: DaemonComposite, what: string): void {
  const { observe } = sys;
  const c = model.host.context;
  if (observe.state(0) !== model.state || observe.shutdownStatus(0) !== c.status) {
    throw new Error(`after ${what}: ${observe.state(0)}/${observe.shutdownStatus(0)}, model says ${model.state}/${c.status} (via ${c.via})`);
  }
  if (JSON.stringify(observe.daemonWrites(0)) !== JSON.stringify(model.writes)) {
    throw new Error(`after ${what}: daemon wrote ${JSON.stringify(observe.daemonWrites(0))}, model says ${JSON.stringify(model.writes)}`);
  }
}
