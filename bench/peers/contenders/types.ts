// What a contender module exports: a factory with the shape of bench/session-contender.ts, created in the process
// that measures it.
import type { SessionContender, SessionContenderOptions } from '../../session-contender.js';

export type { SessionContender, SessionContenderOptions };

export type CreateContender = (o: SessionContenderOptions) => Promise<SessionContender>;

/** The tool's JSON Schema as every contender advertises it (Swiftlet's own). */
export type JsonObjectSchema = { type: 'object'; properties: Record<string, unknown>; [k: string]: unknown };
