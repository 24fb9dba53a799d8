// Server-sent events, bytes in, events out (https://html.spec.whatwg.org/multipage/server-sent-events.html).
// Runs once per streamed chunk of every model answer, so it scans with indexOf rather than per-line regexes and
// slices only the values it keeps. `id` and `retry` fields are ignored: a model stream is never resumed.

export interface SseEvent {
  /** The `event:` field, `message` when the event named none. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
}

const LF = 10;
const SPACE = 32;

export class SseParser {
  readonly #decoder = new TextDecoder();
  /** An incomplete line carried over to the next chunk. */
  #rest = '';
  /** The previous chunk ended with CR: a LF opening the next chunk ends the same line. */
  #skipLf = false;
  #event = '';
  #data = '';
  #hasData = false;

  /** Parses one chunk; returns the events it completes (often none or one). */
  push(chunk: Uint8Array): SseEvent[] {
    const out: SseEvent[] = [];
    const text = this.#decoder.decode(chunk, { stream: true });
    if (text.length > 0) this.#scan(this.#rest.length === 0 ? text : this.#rest + text, out);
    return out;
  }

  /**
   * The stream ended. The spec discards an event without its closing blank line; servers that end with
   * `data: [DONE]\n` (no blank line) are common enough that the last event is dispatched instead.
   */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    const text = this.#rest + this.#decoder.decode();
    this.#rest = '';
    if (text.length > 0) this.#line(text, 0, text.length, out);
    this.#dispatch(out);
    return out;
  }

  #scan(buf: string, out: SseEvent[]): void {
    const len = buf.length;
    let pos = 0;
    if (this.#skipLf) {
      this.#skipLf = false;
      if (buf.charCodeAt(0) === LF) pos = 1;
    }
    let cr = buf.indexOf('\r', pos);
    while (pos < len) {
      if (cr !== -1 && cr < pos) cr = buf.indexOf('\r', pos);
      const lf = buf.indexOf('\n', pos);
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        if (cr + 1 < len) {
          next = buf.charCodeAt(cr + 1) === LF ? cr + 2 : cr + 1;
        } else {
          next = len;
          this.#skipLf = true;
        }
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else {
        break;
      }
      this.#line(buf, pos, end, out);
      pos = next;
    }
    this.#rest = pos < len ? buf.slice(pos) : '';
  }

  #line(buf: string, start: number, end: number, out: SseEvent[]): void {
    if (start === end) {
      this.#dispatch(out);
      return;
    }
    let colon = buf.indexOf(':', start);
    if (colon === start) return; // a comment (keep-alive pings such as `: OPENROUTER PROCESSING`)
    if (colon === -1 || colon > end) colon = end;
    let valueStart = colon + 1;
    if (valueStart < end && buf.charCodeAt(valueStart) === SPACE) valueStart++;
    const nameLength = colon - start;
    if (nameLength === 4 && buf.startsWith('data', start)) {
      const value = buf.slice(valueStart, end);
      this.#data = this.#hasData ? this.#data + '\n' + value : value;
      this.#hasData = true;
    } else if (nameLength === 5 && buf.startsWith('event', start)) {
      this.#event = buf.slice(valueStart, end);
    }
  }

  #dispatch(out: SseEvent[]): void {
    if (this.#hasData) out.push({ event: this.#event === '' ? 'message' : this.#event, data: this.#data });
    this.#event = '';
    this.#data = '';
    this.#hasData = false;
  }
}
