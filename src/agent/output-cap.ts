// The per-turn output cap: the UTF-8 bytes of everything the model says in one turn (text and tool-call arguments,
// all steps together), counted delta by delta, never by re-encoding what came before.
import { SwiftletError } from '../core/index.js';

export class OutputMeter {
  readonly #cap: number;
  readonly #agent: string;
  /** Bytes of the turn so far. */
  #bytes = 0;
  // Tool-call arguments of the current step: streamed as deltas, then whole in each `tool-call`; counted once, as
  // the larger of the two (a provider may stream none, or send `{}` for arguments it never streamed).
  #streamedArgs = 0;
  #wholeArgs = 0;

  constructor(cap: number, agent: string) {
    this.#cap = cap;
    this.#agent = agent;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** A new model call begins. */
  step(): void {
    this.#streamedArgs = 0;
    this.#wholeArgs = 0;
  }

  /** True once the turn passed the cap: the model call is to be cut with `error()`. */
  get passed(): boolean {
    return this.#bytes > this.#cap;
  }

  /**
   * Counts a text delta and returns the part of it within the cap: all of it, or, for the delta that passes the
   * cap, its longest prefix of whole characters that fits (then `passed` is true).
   */
  text(delta: string): string {
    const n = Buffer.byteLength(delta, 'utf8');
    const room = this.#cap - this.#bytes;
    this.#bytes += n;
    return n <= room ? delta : prefixOf(delta, Math.max(0, room));
  }

  /** Counts a streamed fragment of tool-call arguments; throws SWIFTLET_ERR_OUTPUT_TOO_LARGE past the cap. */
  argumentsDelta(delta: string): void {
    if (delta === '') return;
    const before = Math.max(this.#streamedArgs, this.#wholeArgs);
    this.#streamedArgs += Buffer.byteLength(delta, 'utf8');
    this.#add(Math.max(this.#streamedArgs, this.#wholeArgs) - before);
  }

  /** Counts a complete tool call's arguments (what its deltas already counted is not counted again); throws past the cap. */
  call(args: string): void {
    const before = Math.max(this.#streamedArgs, this.#wholeArgs);
    this.#wholeArgs += Buffer.byteLength(args, 'utf8');
    this.#add(Math.max(this.#streamedArgs, this.#wholeArgs) - before);
  }

  /** Why the turn ends once the cap is passed. */
  error(): SwiftletError {
    return new SwiftletError(
      'SWIFTLET_ERR_OUTPUT_TOO_LARGE',
      `the model's output in this turn passed ${this.#cap} bytes (agents.${this.#agent}.maxOutputBytes)`,
    );
  }

  /** Tool-call arguments are kept whole or not at all: passing the cap throws at once. */
  #add(n: number): void {
    this.#bytes += n;
    if (this.#bytes > this.#cap) throw this.error();
  }
}

/** The longest prefix of `text` of at most `bytes` UTF-8 bytes that ends on a character boundary. */
function prefixOf(text: string, bytes: number): string {
  if (bytes === 0) return '';
  const buf = Buffer.from(text, 'utf8');
  let end = bytes;
  // A continuation byte (10xxxxxx) at the cut means the character before it would be split.
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.toString('utf8', 0, end);
}
