export type { Kpis } from './kpis.model.js';
export { kpiOperations } from './kpis.ops.js';
export { getKpis } from './kpis.service.js';
