export { Agent, Execution, Session } from './agents.model.js';
export { agentOperations } from './agents.ops.js';
export { VERTICALS, type Vertical } from './verticals.js';
export { recoverStaleRuns } from './executions.service.js';
