// Observers read the channels and messages defined in core, beside every publisher.
export * from '../core/diagnostics.js';
