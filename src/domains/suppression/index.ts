export { suppressionOperations } from './suppression.ops.js';
export { addSuppression, isSuppressed } from './suppression.service.js';
