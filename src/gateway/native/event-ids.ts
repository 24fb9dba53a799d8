// Event ids for a turn's stream, computed the same way from live events and from the session log, so that a client
// can resume with Last-Event-ID whichever of the two serves it. An id is `<step>.<n>`, local to the turn:
//   turn-start            0.0
//   text-delta, step s    s.<text length so far>   (a character offset into the step's text)
//   tool-call i           s.<L + 1 + i>            (L: the step's whole text length)
//   tool-result k         s.<L + 1 + calls + k>    (k: in the order results were recorded)
//   step-finish           s.<L + 1 + calls + results>   (live only: the log keeps no per-step usage)
//   tool-progress         the id of the event before it  (live only: not in the log, so never replayed)
//   turn-end              <last step + 1>.0
// Ids compare as pairs of integers. A text-delta id that falls inside a step's text lets the other side send the
// rest of the text exactly. Live tool-call events are held until their step's text is complete, so live ids only grow.
import { STEP_SEPARATOR, type Entry, type TurnEvent } from '../../core/index.js';

export type EventId = readonly [step: number, n: number];

export interface SeqEvent {
  id: EventId;
  event: TurnEvent;
}

const ID = /^(\d{1,9})\.(\d{1,15})$/;

export function formatId(id: EventId): string {
  return `${id[0]}.${id[1]}`;
}

export function parseId(text: string): EventId | undefined {
  const m = ID.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export function compareIds(a: EventId, b: EventId): number {
  return a[0] - b[0] || a[1] - b[1];
}

type Of<T extends TurnEvent['type']> = Extract<TurnEvent, { type: T }>;

/** Numbers a live turn's events, one call per event from the runtime, in order. */
export class EventIdAssigner {
  #step = 0;
  #text = 0;
  #calls = 0;
  #results = 0;
  #held: Of<'tool-call'>[] = [];

  /** The events to send now with their ids: none (held or empty), one, or held tool calls and this one. */
  next(event: TurnEvent): SeqEvent[] {
    if (event.type === 'turn-start') return [{ id: [0, 0], event }];
    if (event.type === 'turn-end') {
      const out = this.#flush();
      out.push({ id: [Math.max(event.steps, this.#step) + 1, 0], event });
      return out;
    }
    const out = event.step === this.#step ? [] : this.#enter(event.step);
    switch (event.type) {
      case 'text-delta':
        if (event.text === '') return out;
        this.#text += event.text.length;
        out.push({ id: [this.#step, this.#text], event });
        return out;
      case 'tool-call':
        this.#held.push(event);
        return out;
      case 'tool-result':
        out.push(...this.#flush());
        out.push({ id: [this.#step, this.#text + 1 + this.#calls + this.#results++], event });
        return out;
      case 'tool-progress':
        // Not in the log, so not replayed: it carries the id of the last event before it (resuming from it replays
        // what came after that event, progress aside).
        out.push(...this.#flush());
        out.push({ id: [this.#step, this.#text + this.#calls + this.#results], event });
        return out;
      case 'step-finish':
        out.push(...this.#flush());
        out.push({ id: [this.#step, this.#text + 1 + this.#calls + this.#results], event });
        return out;
    }
  }

  #enter(step: number): SeqEvent[] {
    const out = this.#flush();
    this.#step = step;
    this.#text = 0;
    this.#calls = 0;
    this.#results = 0;
    return out;
  }

  #flush(): SeqEvent[] {
    if (this.#held.length === 0) return [];
    const out = this.#held.map((event) => ({ id: [this.#step, this.#text + 1 + this.#calls++] as const, event }));
    this.#held = [];
    return out;
  }
}

/**
 * A turn's events rebuilt from its log entries (seq order): turn-start, one text-delta per assistant text, its tool
 * calls, the tool results, turn-end. Step-finish events are not kept in the log and so are not rebuilt.
 */
export function rebuildTurn(entries: readonly Entry[], sessionId: string): SeqEvent[] {
  const out: SeqEvent[] = [];
  let step = 0;
  let text = 0;
  let calls = 0;
  let results = 0;
  let turnText = '';
  for (const e of entries) {
    const turnId = e.turnId;
    switch (e.type) {
      case 'turn_start':
        out.push({ id: [0, 0], event: { type: 'turn-start', turnId, sessionId, agent: e.agent } });
        break;
      case 'assistant': {
        step++;
        text = e.text.length;
        calls = e.toolCalls?.length ?? 0;
        results = 0;
        if (e.text !== '') turnText = turnText === '' ? e.text : turnText + STEP_SEPARATOR + e.text;
        if (text > 0) out.push({ id: [step, text], event: { type: 'text-delta', turnId, step, text: e.text } });
        (e.toolCalls ?? []).forEach((call, i) => {
          out.push({ id: [step, text + 1 + i], event: { type: 'tool-call', turnId, step, call } });
        });
        break;
      }
      case 'tool_result':
        out.push({
          id: [step, text + 1 + calls + results++],
          event: {
            type: 'tool-result',
            turnId,
            step,
            callId: e.callId,
            name: e.name,
            output: e.output,
            isError: e.isError ?? false,
          },
        });
        break;
      case 'turn_end':
        out.push({
          id: [Math.max(e.steps, step) + 1, 0],
          event: {
            type: 'turn-end',
            turnId,
            sessionId,
            outcome: e.outcome,
            // Every step's text, as the live turn-end has it (a step that failed before any reply recorded none).
            text: turnText,
            usage: e.usage,
            steps: e.steps,
            ...(e.error === undefined ? {} : { error: e.error }),
          },
        });
        break;
      default:
        break;
    }
  }
  return out;
}

/** The events after `after` (all when absent); a text-delta that `after` points into is cut to the unseen rest. */
export function eventsAfter(items: readonly SeqEvent[], after: EventId | undefined): SeqEvent[] {
  if (after === undefined) return items.slice();
  const out: SeqEvent[] = [];
  for (const item of items) {
    if (compareIds(item.id, after) <= 0) continue;
    const e = item.event;
    if (e.type === 'text-delta' && item.id[0] === after[0]) {
      const start = item.id[1] - e.text.length;
      if (after[1] > start) {
        out.push({ id: item.id, event: { ...e, text: e.text.slice(after[1] - start) } });
        continue;
      }
    }
    out.push(item);
  }
  return out;
}

/** Turn-end is always the last event of a turn. */
export function isEnd(item: SeqEvent | undefined): boolean {
  return item?.event.type === 'turn-end';
}
