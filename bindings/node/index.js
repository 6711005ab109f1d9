// captivate-chat: the Captivate Chat Socket API for Node, over the captivate Rust core.
//
// The class and method names are those of the official `captivate-chat-api` package, so that
// moving over is a change of import. The parts live in lib/: the client (client.js), its
// socket as the official client hands it out (socket.js), its conversations
// (conversation.js), the multi-key manager (manager.js), file uploads and the file manager
// (files.js), the event objects and the batches they arrive in (events.js), listeners and
// iterators (listeners.js), errors (errors.js), options (options.js), logs (logs.js) and
// argument checks (args.js). The native addon (native.js) is a thin transport over the
// library's binding layer.
'use strict';

const native = require('./native.js');
const { CaptivateChatAPI } = require('./lib/client.js');
const { Conversation } = require('./lib/conversation.js');
const { ALIASES, CaptivateError, CLASSES } = require('./lib/errors.js');
const { CaptivateChatFileManager } = require('./lib/files.js');
const { CaptivateChatManager } = require('./lib/manager.js');
const { OPTIONS } = require('./lib/options.js');
const { CaptivateSocket } = require('./lib/socket.js');

module.exports = {
  CaptivateChatAPI,
  CaptivateChatManager,
  CaptivateChatFileManager,
  CaptivateSocket,
  Conversation,
  CaptivateError,
  ...CLASSES,
  ...ALIASES,
  OPTIONS,
  TIME_TO_LIVE_DAYS: Object.freeze(native.timeToLiveDays()),
  version: native.version(),
};
