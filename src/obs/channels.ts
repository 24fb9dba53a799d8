// Observers read the channels and messages defined in core, beside every publisher.
export {
  CHANNELS,
  type ChannelName,
  type TurnStartMessage,
  type TurnEndMessage,
  type ModelRequestMessage,
  type ModelResponseMessage,
  type ToolEndMessage,
  type StoreCommitMessage,
} from '../core/index.js';
