// Loaded with `node --import` before the MCP conformance CLI. Its bundle imports `globSync` from
// `fs`, which Node 20 lacks (it arrived in Node 22) and which only its `tier-check` command calls;
// on Node 20 that import alone stops the CLI from loading. The hook below gives the bundle an `fs`
// with a `globSync` that says so if it is ever called. Nothing else is changed.
import { register } from 'node:module';

register('./fs-hook.mjs', import.meta.url);
