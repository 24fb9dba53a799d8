// Subscribe: one bidirectional stream is one bus subscription. The bus claims a task and calls the handler; the
// stream sends it as an assignment, which the client acks (keeps) or nacks (gives back); one left unacknowledged past
// the ack timeout is given back too. A task taken back by the bus (cancel, deadline, lease lapsed) is sent as a
// cancel. The stream's end closes the subscription, and the bus redelivers what it still held.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { Assignment, Subscription } from '../../bus/index.js';
import { ALL_TENANTS, SwiftletError, type TaskRecord } from '../../core/index.js';
import { checkAgent } from '../auth.js';
import type { Caller } from '../types.js';
import { callerOf, ownerOf, type BrokerContext, type Holding } from './context.js';
import { checkName, invalid, stateName, toTaskMsg } from './convert.js';
import type { SubscribeRequestMsg, SubscribeResponseMsg } from './messages.js';
import { completion, endHeld, failure, reportProgress } from './reports.js';
import { toGrpcStatus } from './status.js';

type Call = ServerDuplexStream<SubscribeRequestMsg, SubscribeResponseMsg>;

export function subscribeHandler(ctx: BrokerContext): (call: Call) => void {
  return (call) => {
    let caller: Caller;
    try {
      caller = callerOf(ctx, call.metadata);
    } catch (err) {
      call.emit('error', toGrpcStatus(ctx.grpc, err));
      return;
    }
    new SubscribeStream(ctx, call, caller);
  };
}

class SubscribeStream {
  #ctx: BrokerContext;
  #call: Call;
  #caller: Caller;
  #owner: string;
  #sub: Subscription | undefined;
  #mine = new Map<string, Holding>();
  #ended = false;
  #closing: Promise<void> | undefined;
  #startTimer: NodeJS.Timeout;

  constructor(ctx: BrokerContext, call: Call, caller: Caller) {
    this.#ctx = ctx;
    this.#call = call;
    this.#caller = caller;
    this.#owner = ownerOf(caller);
    ctx.streams.add(this);
    this.#startTimer = setTimeout(
      () => this.#fail(invalid('start', `the first message must be start, sent within ${ctx.ackTimeoutMs} ms`)),
      ctx.ackTimeoutMs,
    );
    call.on('data', (m: SubscribeRequestMsg) => {
      try {
        this.#receive(m);
      } catch (err) {
        this.#fail(err);
      }
    });
    // The client's half-close is its end of the subscription too: the stream is ended from here.
    call.on('end', () => void this.#close(true));
    call.on('cancelled', () => void this.#close(false));
    call.on('error', () => void this.#close(false));
    call.on('close', () => void this.#close(false));
  }

  /** Ends the stream as the server closes: UNAVAILABLE, and the held tasks go back to their queues. */
  shutdown(): Promise<void> {
    this.#fail(new SwiftletError('SWIFTLET_ERR_SHUTTING_DOWN', 'the broker is shutting down'));
    return this.#closing ?? Promise.resolve();
  }

  #receive(m: SubscribeRequestMsg): void {
    if (m.message === 'start') return this.#start(m.start!);
    if (!this.#sub) throw invalid('start', 'the first message must be start');
    // A late ack, nack or progress (the task was taken back meanwhile) is no error: the cancel is on its way.
    if (m.message === 'ack') this.#mine.get(m.ack!.task_id)?.ack();
    else if (m.message === 'nack') this.#giveBack(m.nack!.task_id);
    else if (m.message === 'progress') {
      const h = this.#mine.get(m.progress!.task_id);
      if (h) reportProgress(h, m.progress!);
    } else if (m.message === 'complete') this.#end(m.complete!.task_id, () => completion(m.complete!));
    else if (m.message === 'fail') this.#end(m.fail!.task_id, () => failure(m.fail!));
  }

  /** A complete or fail sent on the stream, answered by an `ended` once committed or refused. */
  #end(taskId: string, how: () => (a: Assignment) => Promise<TaskRecord>): void {
    const refused = (err: unknown): void => {
      if (!SwiftletError.isInstance(err) || err.code === 'SWIFTLET_ERR_INTERNAL') this.#ctx.onError(err);
      const e = SwiftletError.isInstance(err) ? err : new SwiftletError('SWIFTLET_ERR_INTERNAL', 'internal error');
      const message = e.code === 'SWIFTLET_ERR_INTERNAL' ? 'internal error' : e.message;
      this.#write({ ended: { task_id: taskId, state: 'TASK_STATE_UNSPECIFIED', error: { code: e.code, message } } });
    };
    const h = this.#mine.get(taskId);
    if (!h) {
      refused(new SwiftletError('SWIFTLET_ERR_TASK_NOT_HELD', `task ${taskId} is not held by this stream`));
      return;
    }
    let end: (a: Assignment) => Promise<TaskRecord>;
    try {
      end = how();
    } catch (err) {
      refused(err);
      return;
    }
    endHeld(h, end).then(
      (t) => this.#write({ ended: { task_id: taskId, state: stateName(t.state), error: null } }),
      refused,
    );
  }

  #start(start: NonNullable<SubscribeRequestMsg['start']>): void {
    if (this.#sub || this.#ended) throw invalid('start', 'sent twice: one stream serves one agent');
    const agent = checkName(start.agent, 'start.agent');
    const skills = start.skills.map((s, i) => checkName(s, `start.skills[${i}]`));
    const inFlight = start.max_in_flight === 0 ? 1 : start.max_in_flight;
    if (inFlight < 1 || inFlight > this.#ctx.maxInFlight) {
      throw invalid('start.max_in_flight', `expected 1 to ${this.#ctx.maxInFlight}`);
    }
    checkAgent(this.#caller, agent, 'start.agent');
    clearTimeout(this.#startTimer);
    const scope = this.#caller.admin ? ALL_TENANTS : this.#caller.tenant;
    this.#sub = this.#ctx.bus.subscribe({ agent, skills, scope, concurrency: inFlight }, (a) => this.#take(a));
    this.#write({
      subscribed: {
        agent,
        tenant: scope === ALL_TENANTS ? '*' : scope,
        lease_ms: this.#ctx.leaseMs,
        ack_timeout_ms: this.#ctx.ackTimeoutMs,
        max_in_flight: inFlight,
      },
    });
  }

  /** The bus's handler: the task is claimed for this stream. */
  #take(a: Assignment): void {
    if (this.#ended) {
      void a.release().catch(this.#ctx.onError);
      return;
    }
    const id = a.task.id;
    let timer: NodeJS.Timeout | undefined;
    const h: Holding = {
      owner: this.#owner,
      assignment: a,
      ack: () => {
        clearTimeout(timer);
        timer = undefined;
      },
      forget: () => {
        clearTimeout(timer);
        if (this.#mine.get(id) === h) this.#mine.delete(id);
        this.#ctx.holdings.delete(h);
      },
    };
    this.#mine.set(id, h);
    this.#ctx.holdings.add(h);
    timer = setTimeout(() => {
      if (this.#mine.get(id) !== h) return;
      h.forget();
      this.#cancel(id, 'SWIFTLET_ERR_TASK_NOT_HELD', `not acknowledged within ${this.#ctx.ackTimeoutMs} ms: released`);
      void a.release().catch(this.#ctx.onError);
    }, this.#ctx.ackTimeoutMs);
    const taken = (): void => {
      if (this.#mine.get(id) !== h) return;
      h.forget();
      const reason: unknown = a.signal.reason;
      if (SwiftletError.isInstance(reason)) this.#cancel(id, reason.code, reason.message);
      else this.#cancel(id, 'SWIFTLET_ERR_ABORTED', `task ${id} was taken back`);
    };
    this.#write({ assignment: { task: toTaskMsg(a.task), attempt: a.task.attempt } });
    if (a.signal.aborted) taken();
    else a.signal.addEventListener('abort', taken, { once: true });
  }

  #giveBack(id: string): void {
    const h = this.#mine.get(id);
    if (!h) return;
    h.forget();
    void h.assignment.release().catch(this.#ctx.onError);
  }

  #cancel(taskId: string, code: string, reason: string): void {
    this.#write({ cancel: { task_id: taskId, code, reason } });
  }

  #write(m: SubscribeResponseMsg): void {
    // Bounded by max_in_flight: at most that many assignments (and their cancels) are unread at once.
    if (!this.#ended) this.#call.write(m);
  }

  #fail(err: unknown): void {
    if (this.#ended) return;
    if (!SwiftletError.isInstance(err)) this.#ctx.onError(err);
    this.#call.emit('error', toGrpcStatus(this.#ctx.grpc, err));
    void this.#close(false);
  }

  /** Closes the subscription (the bus releases the tasks still held) and, after the client's half-close, the stream. */
  #close(endStream: boolean): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#ended = true;
    clearTimeout(this.#startTimer);
    for (const h of [...this.#mine.values()]) h.forget();
    if (endStream) this.#call.end();
    this.#closing = (this.#sub?.close() ?? Promise.resolve())
      .catch(this.#ctx.onError)
      .finally(() => this.#ctx.streams.delete(this));
    return this.#closing;
  }
}
