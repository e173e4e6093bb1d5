// Writes the generated parts of README.md (tool and scope tables) from the operation catalog.
// `npm run docs`; test/operations/docs.test.ts fails when README.md is not current.
import { readFileSync, writeFileSync } from 'node:fs';
import { Catalog } from '../src/operations/catalog.js';
import { fillGenerated, scopesTable, toolsTable } from '../src/operations/docs.js';

const readme = new URL('../README.md', import.meta.url);
const before = readFileSync(readme, 'utf8');
const after = fillGenerated(before, { tools: toolsTable(new Catalog()), scopes: scopesTable() });
if (after !== before) writeFileSync(readme, after);
console.log(after === before ? 'README.md is current' : 'README.md updated');
