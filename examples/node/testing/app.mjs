// The chat handler of a small support app: a customer's questions go to the Captivate bot, and
// the answers (the bot's, or a live agent's after a hand-over) come back one at a time.
import { CaptivateChatAPI } from 'captivate-chat';

/** @typedef {{ from: 'bot' | 'agent', text: string }} Answer */

/** The app's client: the production hub unless `options` (e.g. a test hub's) say otherwise. */
export function connect(apiKey = process.env.CAPTIVATE_API_KEY ?? '', options = {}) {
  return CaptivateChatAPI.create(apiKey, 'prod', options);
}

/**
 * Opens a support chat for a customer. `ask(text)` sends a question and resolves with the next
 * answer; `next()` with the one after it (an agent's greeting after a hand-over).
 * @param {CaptivateChatAPI} api
 * @param {string} customerId
 */
export async function openSupportChat(api, customerId) {
  const conversation = await api.createConversation(customerId, {}, { source: 'support-page' }, 'user-first');
  /** @type {Answer[]} */
  const answers = [];
  /** @type {((answer: Answer) => void)[]} */
  const waiting = [];
  conversation.onEvent((event) => {
    if ((event.kind === 'bot_message' || event.kind === 'livechat_message') && event.text) {
      /** @type {Answer} */
      const answer = { from: event.kind === 'bot_message' ? 'bot' : 'agent', text: event.text };
      const resolve = waiting.shift();
      if (resolve) resolve(answer);
      else answers.push(answer);
    }
  });
  /** @returns {Promise<Answer>} */
  const next = () => {
    const ready = answers.shift();
    return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
  };
  return {
    id: conversation.conversationId,
    next,
    /** @param {string} text */
    ask: async (text) => {
      await conversation.sendMessage(text);
      return next();
    },
  };
}
