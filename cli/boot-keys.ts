/**
 * The terminal side of `micvop boot` when stdin is a TTY in raw mode: the card's shell does not
 * echo (a line-oriented console, impl/card/services/shell.ts), so the CLI keeps a small line
 * discipline of its own — echo, backspace, Ctrl-U — and sends whole lines to the card. Ctrl-C (and
 * Ctrl-D on an empty line) asks for a clean shutdown, Ctrl-T for the status, Ctrl-B boots the cards
 * that are offline (after a crash or a shutdown). Escape sequences (arrow
 * keys) are swallowed. Pure: bytes in, actions out, so it is tested without a terminal.
 */

export const CTRL_B = 0x02;
export const CTRL_C = 0x03;
export const CTRL_D = 0x04;
export const CTRL_T = 0x14;
export const CTRL_U = 0x15;
const BS = 0x08;
const DEL = 0x7f;
const ESC = 0x1b;
const CR = 0x0d;
const LF = 0x0a;

export interface KeyActions {
  /** bytes to show on the terminal (echo) */
  echo(bytes: Uint8Array): void;
  /** a finished line (with its LF) for the card; undefined when only keys are handled */
  line?(bytes: Uint8Array): void;
  quit(): void;
  status(): void;
  /** boot the cards that are offline */
  boot?(): void;
}

export class KeyReader {
  private buf: number[] = [];
  /** 0 normal, 1 after ESC, 2 inside a CSI / SS3 sequence */
  private esc = 0;

  /** `editing`: keep and echo a line for the card; otherwise only the keys are acted on */
  constructor(
    private readonly act: KeyActions,
    private readonly editing: boolean,
  ) {}

  feed(bytes: Uint8Array): void {
    const echo: number[] = [];
    const flush = (): void => {
      if (echo.length > 0) this.act.echo(Uint8Array.from(echo.splice(0)));
    };
    for (const b of bytes) {
      if (this.esc === 1) {
        this.esc = b === 0x5b || b === 0x4f ? 2 : 0;
        continue;
      }
      if (this.esc === 2) {
        if (b >= 0x40 && b <= 0x7e) this.esc = 0;
        continue;
      }
      if (b === CTRL_C || (b === CTRL_D && this.buf.length === 0)) {
        flush();
        this.act.quit();
        continue;
      }
      if (b === CTRL_T) {
        flush();
        this.act.status();
        continue;
      }
      if (b === CTRL_B) {
        flush();
        this.act.boot?.();
        continue;
      }
      if (b === ESC) {
        this.esc = 1;
        continue;
      }
      if (!this.editing) continue;
      if (b === CR || b === LF) {
        echo.push(CR, LF);
        flush();
        this.buf.push(LF);
        this.act.line?.(Uint8Array.from(this.buf.splice(0)));
      } else if (b === BS || b === DEL) {
        if (this.buf.length === 0) continue;
        // one character back: drop UTF-8 continuation bytes with their lead byte
        while (this.buf.length > 0 && (this.buf[this.buf.length - 1]! & 0xc0) === 0x80) this.buf.pop();
        this.buf.pop();
        echo.push(BS, 0x20, BS);
      } else if (b === CTRL_U) {
        for (let i = this.countChars(); i > 0; i--) echo.push(BS, 0x20, BS);
        this.buf = [];
      } else if (b >= 0x20) {
        if (this.buf.length >= 1023) continue;
        this.buf.push(b);
        echo.push(b);
      }
    }
    flush();
  }

  private countChars(): number {
    return this.buf.filter((b) => (b & 0xc0) !== 0x80).length;
  }
}
