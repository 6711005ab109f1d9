// The ES module entry point of captivate-chat; the implementation is the CommonJS index.js.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const cjs = require('./index.js');

export const {
  CaptivateChatAPI,
  CaptivateChatManager,
  CaptivateChatFileManager,
  CaptivateSocket,
  Conversation,
  CaptivateError,
  InvalidArgumentError,
  InvalidArgument,
  RejectedError,
  Rejected,
  ConnectError,
  TimeoutError,
  Timeout,
  ConnectionLostError,
  ConnectionLost,
  PossiblyNotDeliveredError,
  PossiblyNotDelivered,
  HubError,
  QueueFullError,
  QueueFull,
  ClosedError,
  Closed,
  FailedError,
  Failed,
  FrameTooLargeError,
  FrameTooLarge,
  ProtocolError,
  HttpError,
  InternalError,
  OPTIONS,
  TIME_TO_LIVE_DAYS,
  version,
} = cjs;
export default cjs;
