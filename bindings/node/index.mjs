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
  InvalidArgument,
  Rejected,
  ConnectError,
  Timeout,
  ConnectionLost,
  PossiblyNotDelivered,
  HubError,
  QueueFull,
  Closed,
  Failed,
  FrameTooLarge,
  ProtocolError,
  HttpError,
  InternalError,
  OPTIONS,
  TIME_TO_LIVE_DAYS,
  version,
} = cjs;
export default cjs;
