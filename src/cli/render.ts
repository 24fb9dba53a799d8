import type { TurnEvent, TurnOutcome } from '../core/index.js';
import { EXIT } from './command.js';

const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Exit code for a turn's outcome: 0 final, 1 failed, 3 max steps, 130 interrupted. */
export function exitCodeFor(outcome: TurnOutcome): number {
  switch (outcome) {
    case 'final':
      return EXIT.ok;
    case 'interrupted':
      return EXIT.interrupted;
    case 'max_steps':
      return 3;
    default:
      return EXIT.failed;
  }
}

/**
 * Writes a turn's events for a person: reply text on stdout as it streams, tool activity on stderr (dimmed on a
 * TTY), a spinner on a TTY while waiting for the model.
 */
export class TurnPrinter {
  #out: NodeJS.WritableStream & { isTTY?: boolean };
  #err: NodeJS.WritableStream & { isTTY?: boolean };
  #spin: NodeJS.Timeout | undefined;
  #frame = 0;
  #atLineStart = true;

  constructor(out: NodeJS.WritableStream & { isTTY?: boolean }, err: NodeJS.WritableStream & { isTTY?: boolean }) {
    this.#out = out;
    this.#err = err;
  }

  #startSpinner(): void {
    if (!this.#err.isTTY || this.#spin) return;
    this.#spin = setInterval(() => {
      this.#err.write(`\r${SPINNER[this.#frame++ % SPINNER.length]} `);
    }, 80);
  }

  #stopSpinner(): void {
    if (!this.#spin) return;
    clearInterval(this.#spin);
    this.#spin = undefined;
    this.#err.write('\r  \r');
  }

  /** A running tool's output, as it comes, on stderr (dimmed on a TTY). */
  #progress(text: string): void {
    if (!this.#atLineStart) {
      this.#out.write('\n');
      this.#atLineStart = true;
    }
    this.#err.write(this.#err.isTTY ? `${DIM}${text}${RESET}` : text);
  }

  #note(text: string): void {
    this.#stopSpinner();
    if (!this.#atLineStart) {
      this.#out.write('\n');
      this.#atLineStart = true;
    }
    this.#err.write(this.#err.isTTY ? `${DIM}${text}${RESET}\n` : `${text}\n`);
  }

  event(e: TurnEvent): void {
    switch (e.type) {
      case 'turn-start':
        this.#startSpinner();
        break;
      case 'text-delta':
        this.#stopSpinner();
        this.#out.write(e.text);
        this.#atLineStart = e.text.endsWith('\n');
        break;
      case 'tool-call':
        this.#note(`→ ${e.call.name}(${truncate(e.call.arguments, 200)})`);
        break;
      case 'tool-result':
        this.#note(`${e.isError ? '✗' : '←'} ${e.name}: ${truncate(e.output.replace(/\s+/g, ' '), 200)}`);
        this.#startSpinner();
        break;
      case 'tool-progress':
        this.#stopSpinner();
        this.#progress(e.text);
        break;
      case 'step-finish':
        break;
      case 'turn-end':
        this.#stopSpinner();
        if (!this.#atLineStart) this.#out.write('\n');
        this.#atLineStart = true;
        if (e.outcome === 'interrupted') this.#note('[interrupted]');
        else if (e.outcome === 'max_steps') this.#note('[stopped: the agent reached its maximum number of steps]');
        else if (e.outcome === 'failed')
          this.#note(`[failed: ${e.error?.message ?? 'unknown error'}${e.error ? ` (${e.error.code})` : ''}]`);
        break;
    }
  }

  close(): void {
    this.#stopSpinner();
  }
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
