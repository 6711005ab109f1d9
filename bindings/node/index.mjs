// The ES module entry point of captivate-chat; the implementation is the CommonJS index.js.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const cjs = require('./index.js');

export const {
  CaptivateChatAPI,
  Conversation,
  CaptivateError,
  InvalidArgumentError,
  RejectedError,
  ConnectError,
  TimeoutError,
  ConnectionLostError,
  PossiblyNotDeliveredError,
  HubError,
  QueueFullError,
  ClosedError,
  FailedError,
  FrameTooLargeError,
  ProtocolError,
  HttpError,
  InternalError,
  TIME_TO_LIVE_DAYS,
  version,
} = cjs;
export default cjs;
