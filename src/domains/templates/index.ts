export { templateOperations } from './templates.ops.js';
export { getTemplate, renderTemplate } from './templates.service.js';
