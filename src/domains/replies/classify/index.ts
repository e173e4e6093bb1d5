// The reply classifier: what the replies domain (and only it) uses. Pure: no database, no network
// beyond the Llm port it is given.
export { type ClassifyOptions, classifyReply } from './classify.js';
export {
  MACHINE_LABELS,
  REPLY_LABELS,
  type ReplyClassificationResult,
  type ReplyLabel,
  type ReplyToClassify,
} from './labels.js';
export { classifyOffline } from './offline.js';
export { ownWords } from './strip.js';
