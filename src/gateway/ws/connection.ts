// One WebSocket client: any number of turns at once (on different sessions they run concurrently, on one session
// they queue in the runtime), each streamed as event frames tagged with the client's id.
import type { RawData, WebSocket } from 'ws';
import type { Logger } from 'pino';
import { SwiftletError } from '../../core/index.js';
import type { TurnRun } from '../../runtime/index.js';
import type { Caller, GatewayContext } from '../types.js';
import {
  acceptedFrame,
  errorFrame,
  eventPrefix,
  interruptFrame,
  notStartedFrame,
  parseClientMessage,
  pongFrame,
  type ClientId,
  type InterruptMessage,
  type TurnMessage,
} from './protocol.js';

/** Close codes (RFC 6455 §7.4.1). */
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY = 1008;

interface ActiveTurn {
  sessionId: string;
  /** Present when the client asked `interruptOnClose`. */
  controller: AbortController | undefined;
}

export interface ConnectionDeps {
  ctx: GatewayContext;
  caller: Caller;
  log: Logger;
  /** The agent a new session gets when the message names none (the runtime's default). */
  defaultAgent: string;
}

export class WsConnection {
  readonly ws: WebSocket;
  /** Cleared by each heartbeat, set again by the peer's pong or any message. */
  alive = true;
  #deps: ConnectionDeps;
  #open = true;
  #turns = new Map<string, ActiveTurn>();
  // Turn starts are chained so that turns sent for one session reach its queue in the order they were sent.
  #starting: Promise<void> = Promise.resolve();
  #closeWhenIdle: { code: number; reason: string; graceMs: number | undefined } | undefined;

  constructor(ws: WebSocket, deps: ConnectionDeps) {
    this.ws = ws;
    this.#deps = deps;
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => this.#gone());
    ws.on('error', (err) => deps.log.debug({ err }, 'websocket error'));
  }

  /** Turns started on this socket that have not ended (including those still running after the socket closed). */
  get activeTurns(): number {
    return this.#turns.size;
  }

  /** Closes now when no turn is running, else right after the last one ends. */
  closeWhenIdle(code: number, reason: string, graceMs?: number): void {
    this.#closeWhenIdle = { code, reason, graceMs };
    if (this.#turns.size === 0) this.close(code, reason, graceMs);
  }

  /**
   * Starts the closing handshake. With `graceMs`, a peer that has not completed it by then is cut off (without,
   * the `ws` package does so after 30 s).
   */
  close(code: number, reason: string, graceMs?: number): void {
    if (graceMs !== undefined) {
      const timer = setTimeout(() => this.ws.terminate(), graceMs).unref();
      this.ws.once('close', () => clearTimeout(timer));
    }
    if (!this.#open) return;
    this.#gone();
    this.ws.close(code, reason);
  }

  /** The client is gone or cut off: stop sending, and interrupt the turns it asked to be interrupted. */
  #gone(): void {
    if (!this.#open) return;
    this.#open = false;
    for (const t of this.#turns.values()) {
      t.controller?.abort(new SwiftletError('SWIFTLET_ERR_ABORTED', 'the WebSocket closed (interruptOnClose)'));
    }
  }

  /**
   * Sends a frame unless the peer still has more than `wsMaxBufferedBytes` unread: such a reader is too slow to
   * keep, and is closed instead. Checked before the frame is added, so one large frame (a long final text) is
   * never held against a reader that keeps up; what a socket holds stays under the limit plus one frame.
   */
  #send(text: string): void {
    if (!this.#open) return;
    const max = this.#deps.ctx.options.wsMaxBufferedBytes;
    if (this.ws.bufferedAmount > max) {
      this.#deps.log.warn({ buffered: this.ws.bufferedAmount, max }, 'websocket reader too slow: closing');
      this.close(CLOSE_POLICY, `reader too slow: more than ${max} bytes unsent (server.wsMaxBufferedBytes)`);
      return;
    }
    this.ws.send(text);
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    this.alive = true;
    if (isBinary) {
      this.#send(errorFrame(new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', 'expected JSON text frames, not binary')));
      return;
    }
    const parsed = parseClientMessage(frameText(data));
    if (!parsed.ok) {
      this.#send(errorFrame(parsed.error, parsed.id));
      return;
    }
    const msg = parsed.msg;
    // Each turn and interrupt is a request: it takes a token from the key's bucket, as an HTTP request does.
    if (msg.type !== 'ping') {
      const limited = this.#deps.ctx.chargeRequest(this.#deps.caller);
      if (limited) {
        this.#send(errorFrame(limited, msg.id));
        return;
      }
    }
    switch (msg.type) {
      case 'turn':
        this.#starting = this.#starting
          .then(() => this.#startTurn(msg))
          .catch((err: unknown) => this.#deps.log.error({ err }, 'websocket turn start failed'));
        return;
      case 'interrupt':
        void this.#interrupt(msg);
        return;
      case 'ping':
        this.#send(pongFrame(msg.id));
        return;
    }
  }

  async #startTurn(msg: TurnMessage): Promise<void> {
    const { ctx, caller } = this.#deps;
    let release: (() => void) | undefined;
    let run: TurnRun;
    const controller = msg.interruptOnClose ? new AbortController() : undefined;
    try {
      const agent = await this.#agentFor(msg);
      // A client that left while its turn waited to start never learnt of the turn: do not run it.
      if (!this.#open) return;
      release = ctx.admitTurn(caller, agent);
      const allowed = caller.key?.agents;
      run = ctx.runtime.run({
        tenant: caller.tenant,
        input: msg.input,
        ...(allowed === undefined ? {} : { allowedAgents: allowed }),
        ...(msg.sessionId === undefined ? {} : { sessionId: msg.sessionId }),
        ...(msg.agent === undefined ? {} : { agent: msg.agent }),
        ...(controller ? { signal: controller.signal } : {}),
      });
    } catch (err) {
      release?.();
      this.#fail(err, msg.id);
      return;
    }
    const turn: ActiveTurn = { sessionId: run.sessionId, controller };
    this.#turns.set(run.turnId, turn);
    void this.#stream(msg.id, run, release);
  }

  async #stream(id: ClientId, run: TurnRun, release: () => void): Promise<void> {
    const prefix = eventPrefix(id, run.sessionId);
    try {
      // Read every event even after the client left: the turn must not stall on an unread queue.
      let accepted = false;
      for await (const event of run) {
        if (!this.#open) continue;
        if (!accepted) {
          accepted = true;
          // turn-start comes once the turn's start and input are stored (durable mode): that is the acceptance. A
          // turn that ended before it started (cancelled in the queue, or its input could not be stored) is refused.
          if (event.type === 'turn-end') {
            this.#send(notStartedFrame(id, event));
            continue;
          }
          this.#send(acceptedFrame(id, run.sessionId, run.turnId));
        }
        this.#send(prefix + JSON.stringify(event) + '}');
      }
    } catch (err) {
      // The runtime refused the turn once it reached the session (e.g. the session belongs to another agent).
      this.#fail(err, id);
    } finally {
      release();
      this.#turns.delete(run.turnId);
      const pending = this.#closeWhenIdle;
      if (pending && this.#turns.size === 0) this.close(pending.code, pending.reason, pending.graceMs);
    }
  }

  /**
   * The agent a turn will use, for admission: named, else the session's, else the default for a new session. A
   * session of an agent the key may not use is left to the runtime, which answers it as unknown.
   */
  async #agentFor(msg: TurnMessage): Promise<string> {
    if (msg.agent !== undefined) return msg.agent;
    const { caller, ctx, defaultAgent } = this.#deps;
    if (msg.sessionId === undefined) return defaultAgent;
    const info = await ctx.runtime.getSession(msg.sessionId, { tenant: caller.tenant });
    const allowed = caller.key?.agents;
    if (info === undefined || (allowed !== undefined && !allowed.includes(info.agent))) return defaultAgent;
    return info.agent;
  }

  async #interrupt(msg: InterruptMessage): Promise<void> {
    const { ctx, caller } = this.#deps;
    const tenant = caller.tenant;
    try {
      // A key limited to some agents may interrupt only those agents' sessions; others' answer as not running.
      if (caller.key?.agents !== undefined && !this.#owns(msg.sessionId)) {
        const info = await ctx.runtime.getSession(msg.sessionId, { tenant });
        if (!info || !caller.key.agents.includes(info.agent)) {
          this.#send(interruptFrame(msg.id, msg.sessionId, false));
          return;
        }
      }
      const reason = 'interrupted by the client';
      this.#send(interruptFrame(msg.id, msg.sessionId, ctx.runtime.interrupt(msg.sessionId, { tenant, reason })));
    } catch (err) {
      this.#fail(err, msg.id);
    }
  }

  #owns(sessionId: string): boolean {
    for (const t of this.#turns.values()) if (t.sessionId === sessionId) return true;
    return false;
  }

  #fail(err: unknown, id: ClientId | undefined): void {
    if (!SwiftletError.isInstance(err)) this.#deps.log.error({ err }, 'websocket request failed');
    this.#send(errorFrame(err, id));
  }
}

function frameText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
