import { sendJob } from './send.job.js';

export { applyDeliveryReport } from './delivery-events.service.js';
export { draftOperations } from './drafts.ops.js';
export { createDraft, flagPendingDrafts, listDrafts } from './drafts.service.js';
export { outreachSettingsOperations } from './settings.ops.js';
export { OutreachSettings, outreachSettings } from './settings.model.js';
export { updateOutreachSettings } from './settings.service.js';
export { inWindow } from './send-window.js';
export { recordClick, recordOpen, unsubscribe } from './tracking.service.js';

/** The jobs this domain runs in the background. */
export const outreachJobs = [sendJob] as const;
