import { notifyJob } from './notify.job.js';

export { Escalation, PRIORITIES, type Priority } from './escalations.model.js';
export { escalationOperations } from './escalations.ops.js';
export { openEscalation } from './escalations.service.js';

/** The jobs this domain runs in the background. */
export const escalationJobs = [notifyJob] as const;
