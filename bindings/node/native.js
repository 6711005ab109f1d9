// The native addon of captivate-chat: its exports, as they are. addon.js finds it (a source
// build, or the prebuilt package of this platform) and says what to do when there is none.
'use strict';

module.exports = require('./addon.js').load();
