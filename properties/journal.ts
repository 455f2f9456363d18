/**
 * The last actions of a sequence-driving property (issue 12 item 1): a violation's message ends
 * with "last 20 actions:" and one numbered line per action, naming the heads, cookies or events it
 * acted on, so a failure reads as the steps that led to it.
 *
 * Recording has to cost nothing a passing run would notice: an action is a kind (a string constant,
 * stored as a reference) and up to eight numbers written into preallocated arrays of a ring of
 * JOURNAL_SIZE slots, plus at most one reference to a value the property already has (a command, an
 * event). No string is built until a failure asks for the text; the kind's describer then turns the
 * numbers back into words.
 */

/** how many actions a failure shows */
export const JOURNAL_SIZE = 20;
/** the line that starts them in a violation's message */
export const JOURNAL_HEADER = `last ${JOURNAL_SIZE} actions:`;
/** numbers an action may carry */
const WIDTH = 8;
/** an action line longer than this is cut (the failure text stays readable and bounded) */
const LINE_MAX = 240;

/** the numbers of one action, in the order they were recorded (0 where none was given) */
export type ActionNumbers = readonly [number, number, number, number, number, number, number, number];
/** turns one recorded action back into words; `obj` is the reference recorded with it, if any */
export type Describe = (n: ActionNumbers, obj: unknown) => string;

export class Journal<K extends string = string> {
  private readonly kinds: (K | undefined)[] = new Array<K | undefined>(JOURNAL_SIZE).fill(undefined);
  private readonly objs: unknown[] = new Array<unknown>(JOURNAL_SIZE).fill(undefined);
  private readonly nums = new Float64Array(JOURNAL_SIZE * WIDTH);
  /** per slot: the number of its first action (0-based) and how many times in a row it ran */
  private readonly firsts = new Float64Array(JOURNAL_SIZE);
  private readonly repeats = new Float64Array(JOURNAL_SIZE);
  /** actions recorded so far */
  count = 0;
  /** slots filled so far (an action repeating the one before shares its slot) */
  private slots = 0;
  /** actions that ran after freeze() (not recorded) */
  private after = 0;
  private frozen = false;

  constructor(private readonly describe: Readonly<Record<K, Describe>>) {}

  /** records one action: its kind and the numbers it acted on (heads, tokens, cookies, lengths) */
  rec(kind: K, a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0): void {
    this.push(kind, undefined, a, b, c, d, e, f, g, h);
  }

  /** records one action that acted on a value the caller already holds (a command, an event) */
  recObj(kind: K, obj: unknown, a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0): void {
    this.push(kind, obj, a, b, c, d, e, f, g, h);
  }

  private push(kind: K, obj: unknown, a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number): void {
    if (this.frozen) {
      this.after++;
      return;
    }
    const n = this.nums;
    if (this.slots > 0) {
      // the same action again (a poll that finds nothing, say): one line with a count
      const last = (this.slots - 1) % JOURNAL_SIZE;
      const o = last * WIDTH;
      if (this.kinds[last] === kind && this.objs[last] === obj && n[o] === a && n[o + 1] === b && n[o + 2] === c && n[o + 3] === d && n[o + 4] === e && n[o + 5] === f && n[o + 6] === g && n[o + 7] === h) {
        this.repeats[last]!++;
        this.count++;
        return;
      }
    }
    const slot = this.slots++ % JOURNAL_SIZE;
    this.kinds[slot] = kind;
    this.objs[slot] = obj;
    this.firsts[slot] = this.count++;
    this.repeats[slot] = 1;
    const o = slot * WIDTH;
    n[o] = a;
    n[o + 1] = b;
    n[o + 2] = c;
    n[o + 3] = d;
    n[o + 4] = e;
    n[o + 5] = f;
    n[o + 6] = g;
    n[o + 7] = h;
  }

  /**
   * Keeps the actions as they are now: a run that notes a violation and goes on (to collect more)
   * shows the steps that led to the first one. Later actions are only counted.
   */
  freeze(): void {
    this.frozen = true;
  }

  /**
   * The recorded actions, oldest first, numbered from the start of the run ("37. driver publishes
   * 2 chain(s)"); an action repeated in a row is one line ("40–46. device finds nothing new (7 times)").
   */
  lines(): string[] {
    const out: string[] = [];
    for (let i = Math.max(0, this.slots - JOURNAL_SIZE); i < this.slots; i++) {
      const slot = i % JOURNAL_SIZE;
      const kind = this.kinds[slot]!;
      const n = [...this.nums.subarray(slot * WIDTH, slot * WIDTH + WIDTH)] as unknown as ActionNumbers;
      let text: string;
      try {
        text = this.describe[kind](n, this.objs[slot]);
      } catch (err) {
        text = `${kind} [${[...n].join(', ')}] (not describable: ${String(err)})`;
      }
      if (text.length > LINE_MAX) text = `${text.slice(0, LINE_MAX)}…`;
      const first = this.firsts[slot]! + 1;
      const times = this.repeats[slot]!;
      out.push(times === 1 ? `${first}. ${text}` : `${first}–${first + times - 1}. ${text} (${times} times)`);
    }
    return out;
  }

  /** "last 20 actions:" and one line per action ("(none)" before the first) */
  text(): string {
    const lines = this.lines();
    if (lines.length === 0) lines.push('(none)');
    if (this.after > 0) lines.push(`(up to the first violation; ${this.after} more action(s) ran after it)`);
    return [JOURNAL_HEADER, ...lines.map((l) => `  ${l}`)].join('\n');
  }

  /** a violation's message with the last actions after it */
  error(msg: string): Error {
    return new Error(`${msg}\n${this.text()}`);
  }

  /**
   * `e` (anything a property threw) as an Error whose message ends with the last actions; the
   * original stack frames are kept, so the failure still points at the check that fired. An error
   * that already carries this journal's text is returned as it is.
   */
  annotate(e: unknown): Error {
    const err = e instanceof Error ? e : new Error(String(e));
    if (err.message.includes(`\n${JOURNAL_HEADER}\n`)) return err;
    const frames = (err.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
    const message = `${err.message}\n${this.text()}`;
    const out = new Error(message);
    out.name = err.name;
    out.stack = [`${err.name}: ${message}`, ...frames].join('\n');
    return out;
  }

  /** runs `body`; whatever it throws comes out annotated with the last actions */
  guard<T>(body: () => T): T {
    try {
      return body();
    } catch (e) {
      throw this.annotate(e);
    }
  }
}

/** the kinds of a journal and their describers, typed once per property file */
export const journalKinds = <K extends string>(describe: Record<K, Describe>): (() => Journal<K>) => () => new Journal<K>(describe);

/** a head / token / index that the action did not get (recorded as −1) */
export const opt = (v: number, what: string): string => (v < 0 ? `no ${what}` : `${what} ${v}`);

/**
 * A property's predicate that gets a fresh journal as its first argument; whatever it throws comes
 * out with the last actions at the end of its message.
 */
export function journaled<K extends string, A extends unknown[], R>(make: () => Journal<K>, body: (journal: Journal<K>, ...args: A) => R): (...args: A) => R {
  return (...args) => {
    const journal = make();
    try {
      return body(journal, ...args);
    } catch (e) {
      throw journal.annotate(e);
    }
  };
}
