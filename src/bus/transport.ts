import type { TaskRecord } from '../core/index.js';

// How tasks travel between the instances that share one store. Without a transport the bus hands tasks out from its
// own queues and learns of other processes' work by sweeping the store; with one (nats), every unclaimed task is
// offered through it, so instances compete for a queue's tasks, and every change is told to all of them at once.
// The store stays the truth: an offer is only a hint that a task is waiting, and a claim holds only when the store's
// guarded write agrees, so an offer lost, repeated or stale costs time, never a task.

/** A task offered to this instance: claim it and `ack`, or give it back. */
export interface TaskOffer {
  /** The record as it was when offered (its attempt and lastSeq tell whether it is stale). */
  readonly task: TaskRecord;
  /** Done with the offer: claimed here, or no longer waiting. */
  ack(): void;
  /** Not for this instance: offer it again, to anyone, after `delayMs`. */
  nak(delayMs?: number): void;
}

/** A change to a task, told to every instance. */
export interface TaskChanged {
  tenant: string;
  id: string;
  parentId?: string;
}

export interface TransportListener {
  /** Fetches up to `n` more offers (the bus asks for as many as its subscribers of the target have room for). */
  want(n: number): void;
  /** Stops fetching; offers already handed over stay the bus's to ack or nak. */
  close(): void;
}

export interface TaskTransport {
  readonly kind: string;
  /**
   * Counts a task into its queue unless the queue already holds `limit` unclaimed tasks; returns the queue's size
   * when it is full, undefined when the task was counted in.
   */
  admit(task: TaskRecord, limit: number): Promise<number | undefined>;
  /** Offers a committed, unclaimed task to one consumer of its target on any instance. */
  offer(task: TaskRecord): Promise<void>;
  /**
   * Given every unclaimed task the store holds (but those being offered right now), offers again the ones that may
   * have been lost: in a queue holding fewer offers than it has unclaimed tasks, those waiting since before `before`.
   * Returns how many it offered.
   */
  reoffer(waiting: readonly TaskRecord[], before: number): Promise<number>;
  /** Starts fetching offers of one target (`agent:<name>` or `skill:<name>`). */
  listen(target: string, onOffer: (offer: TaskOffer) => void): TransportListener;
  /** Tells every other instance that a task changed. */
  changed(change: TaskChanged): void;
  onChanged(handler: (change: TaskChanged) => void): void;
  close(): Promise<void>;
}
