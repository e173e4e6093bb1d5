export { templateOperations } from './templates.ops.js';
export { createTemplate, getTemplate, renderTemplate } from './templates.service.js';
