export { prospectOperations } from './prospects.ops.js';
export { getProspect } from './prospects.service.js';
export { seedDemoData } from './seed.js';
