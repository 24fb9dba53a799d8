import type { Artifact, TaskRecord } from '../core/index.js';
import type { Queued, TaskHeap } from './heap.js';
import type { TaskOffer } from './transport.js';
import type { SubscriberSpec, TaskHandler } from './types.js';

// The local bus's bookkeeping: what it knows of each task it queues or holds, and of each subscriber.

/** A task this process has queued or holds. */
export interface Live extends Queued {
  task: TaskRecord;
  queue: TaskHeap<Live> | undefined;
  held: Held | undefined;
  /** With a transport: the offer it came in, acked once it is claimed here (or known to be done with). */
  offer: TaskOffer | undefined;
  deadlineTimer: NodeJS.Timeout | undefined;
}

export interface Held {
  sub: Sub;
  attempt: number;
  controller: AbortController;
  /** The lease as this process last extended it, and as the store last recorded it. */
  leaseUntil: number;
  storedLease: number;
  artifacts: Artifact[];
  done: boolean;
}

export interface Sub {
  spec: SubscriberSpec;
  handler: TaskHandler;
  targets: string[];
  capacity: number;
  held: number;
  closed: boolean;
  live: Set<Live>;
}
