import { sendJob } from './send.job.js';

export { applyDeliveryReport } from './delivery-events.service.js';
export { draftOperations } from './drafts.ops.js';
export { flagPendingDrafts } from './drafts.service.js';
export { outreachSettingsOperations } from './settings.ops.js';
export { outreachSettings } from './settings.model.js';
export { inWindow } from './send-window.js';
export { recordClick, recordOpen, unsubscribe } from './tracking.service.js';

/** The jobs this domain runs in the background. */
export const outreachJobs = [sendJob] as const;
