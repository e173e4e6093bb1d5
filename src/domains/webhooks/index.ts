export { WebhookRunner } from './runner.js';
export { webhookOperations } from './webhooks.ops.js';
export { forbiddenAddress } from './ssrf.js';
