// The ES module entry point of captivate-chat/testing; the implementation is the CommonJS
// testing.js. `import { startHub } from 'captivate-chat/testing'`.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const cjs = require('./testing.js');

export const { startHub, Hub, FAULTS } = cjs;
export default cjs;
