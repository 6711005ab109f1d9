// captivate-chat/testing: the local hub in this process, to test an application offline
// (lib/testing.js). `const { startHub } = require('captivate-chat/testing')`.
'use strict';

const { startHub, Hub, FAULTS } = require('./lib/testing.js');

module.exports = { startHub, Hub, FAULTS };
