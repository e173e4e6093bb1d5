export { prospectOperations } from './prospects.ops.js';
export {
  type ProspectStatus,
  applyReplyToProspect,
  findProspectByEmail,
  getProspect,
  upsertProspect,
} from './prospects.service.js';
export { PROSPECT_STATUSES } from './prospects.service.js';
export { seedDemoData } from './seed.js';
