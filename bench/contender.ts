export type ContenderKey = 'swiftlet' | 'fetchLoop' | 'floor';

export const CONTENDER_LABELS: Record<ContenderKey, string> = {
  swiftlet: 'swiftlet',
  fetchLoop: 'fetch loop',
  floor: 'floor',
};

/** One way of running the workload's turns. */
export interface Contender {
  readonly key: ContenderKey;
  /** Runs turn `i` to its end; true when it completed with the scripted final answer. */
  turn(i: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface ContenderOptions {
  mockUrl: string;
  /** A fresh directory for this contender's files. */
  dir: string;
  /** Turn i goes to session i mod sessions. */
  sessions: number;
  store: 'sqlite' | 'memory';
  durability: 'durable' | 'relaxed';
}
