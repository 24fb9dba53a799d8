// The targets of the `http` scenario and the servers behind them.
import type { LoadTarget } from './loadgen.js';
import type { ServerProc } from './servers.js';

export type TargetKey = 'native' | 'openai' | 'floor' | 'nativeRelaxed';

export const TARGET_LABELS: Record<TargetKey, string> = {
  native: 'native',
  openai: 'openai',
  floor: 'floor',
  nativeRelaxed: 'native relaxed',
};

export const TARGET_DESCRIPTIONS: Record<TargetKey, string> = {
  native: 'POST /v1/sessions/:id/turns (JSON) on swiftlet serve',
  openai: 'POST /v1/chat/completions (stream: false, X-Swiftlet-Session) on the same server',
  floor: 'bare node:http + undici.request + one better-sqlite3 transaction per turn',
  nativeRelaxed: 'POST /v1/sessions/:id/turns on a second swiftlet serve with durability: relaxed',
};

export interface Target {
  key: TargetKey;
  server: ServerProc;
  load: LoadTarget;
}
