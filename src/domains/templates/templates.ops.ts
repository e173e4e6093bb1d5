import { z } from 'zod';
import * as templates from './templates.service.js';
import { TEMPLATE_CATEGORIES, TEMPLATE_KEY_PATTERN } from './templates.service.js';
import {
  CursorInput,
  LimitInput,
  Timestamp,
  pageOutput,
  toPageOutput,
  FreeFormValue,
  freeFormInput,
} from '../../operations/inputs.js';
import { destructive, idempotentWrite, readOnly, write } from '../../operations/presets.js';
import { defineOperation } from '../../operations/define.js';

const SYNTAX =
  '{{name}} inserts a variable, {{prospect.first_name}} a field of one, {{company | "your team"}} one with a default; \\{{ is a literal {{';

const Template = z.object({
  id: z.string().describe('Template id (tpl_...)'),
  key: z.string().describe('Stable name, unique in the workspace, e.g. welcome-email'),
  name: z.string().describe('Display name'),
  category: z.enum(TEMPLATE_CATEGORIES),
  subject: z.string().nullable().describe('Subject line (email templates); null when there is none'),
  body: z.string().describe(`The text, with placeholders: ${SYNTAX}`),
  variables: z.array(z.string()).describe('The placeholder names it uses, in order of appearance'),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const TemplateRef = z.string().min(1).max(100).describe('Template id (tpl_...) or key (e.g. welcome-email)');
const Key = z
  .string()
  .min(1)
  .max(100)
  .regex(
    TEMPLATE_KEY_PATTERN,
    'key must be lower-case letters and digits with - _ or . between them (e.g. welcome-email), not starting with tpl_',
  )
  .describe(
    'Stable name, unique in the workspace: lower-case letters and digits with - _ or . between them (e.g. welcome-email)',
  );
const Name = z.string().trim().min(1).max(200).describe('Display name');
const Category = z.enum(TEMPLATE_CATEGORIES).describe('custom, chat, widget, agent or email');
const Subject = z.string().max(998).describe(`Subject line, for email templates; placeholders allowed (${SYNTAX})`);
const Body = z.string().min(1).max(100_000).describe(`The text; placeholders: ${SYNTAX}`);
const reads = { toolset: 'templates', scope: 'templates:read', annotations: readOnly } as const;
const writes = { toolset: 'templates', scope: 'templates:write', mcp: false } as const;

const listTemplates = defineOperation({
  ...reads,
  name: 'list_templates',
  title: 'List templates',
  description:
    'List the message and prompt templates of a workspace, ordered by key, optionally of one category (custom, chat, ' +
    'widget, agent, email). Each comes with its body and the variables it uses. Paginated with cursor.',
  input: z.object({
    category: Category.optional().describe('Only templates of this category'),
    cursor: CursorInput,
    limit: LimitInput,
  }),
  output: pageOutput('templates', Template),
  http: { method: 'GET', path: '/templates' },
  handler: async (ctx, { category, cursor, limit }) =>
    toPageOutput('templates', await templates.listTemplates(ctx, { category }, { cursor, limit })),
});

const getTemplate = defineOperation({
  ...reads,
  name: 'get_template',
  title: 'Get template',
  description:
    'Read one template by id or key, with the variables it uses. Fails with not_found if the workspace has no such template.',
  input: z.object({ template_id: TemplateRef }),
  output: z.object({ template: Template }),
  http: { method: 'GET', path: '/templates/{template_id}' },
  handler: async (ctx, { template_id }) => ({ template: await templates.getTemplate(ctx, template_id) }),
});

const renderTemplate = defineOperation({
  ...reads,
  name: 'render_template',
  title: 'Render template',
  description:
    'Preview a template (by key or id) filled with the given variables; nothing is saved or sent. Returns the subject ' +
    '(null if the template has none), the body and variables_used. Fails with invalid_request listing every variable ' +
    'that is missing (no value and no default) or is an object or array instead of text, a number or a boolean.',
  input: z.object({
    template_id: TemplateRef,
    variables: freeFormInput(FreeFormValue, { dotted: true })
      .optional()
      .describe(
        'Values for the placeholders, as [{name, value}]; a dotted name fills a nested placeholder: [{"name": "prospect.first_name", "value": "Ada"}]',
      ),
  }),
  output: z.object({
    subject: z.string().nullable().describe('The rendered subject, or null'),
    body: z.string().describe('The rendered body'),
    variables_used: z.array(z.string()).describe('The placeholder names of the template, in order of appearance'),
  }),
  http: { method: 'POST', path: '/templates/{template_id}/render' },
  handler: (ctx, { template_id, variables }) => templates.renderStoredTemplate(ctx, template_id, variables ?? {}),
});

const createTemplate = defineOperation({
  ...writes,
  name: 'create_template',
  errors: ['conflict'],
  title: 'Create template',
  description:
    'Create a template. Fails with conflict when the key is taken in the workspace, and with invalid_request (naming ' +
    'the line and column) when subject or body has a placeholder syntax error.',
  input: z.object({
    key: Key,
    name: Name,
    category: Category.optional().describe('custom, chat, widget, agent or email (default custom)'),
    subject: Subject.optional(),
    body: Body,
  }),
  output: z.object({ template: Template }),
  annotations: write,
  http: { method: 'POST', path: '/templates', status: 201 },
  handler: async (ctx, { ...input }) => ({ template: await templates.createTemplate(ctx, input) }),
});

const updateTemplate = defineOperation({
  ...writes,
  name: 'update_template',
  errors: ['conflict'],
  title: 'Update template',
  description:
    'Change the key, name, category, subject or body of a template; fields left out stay as they are. Fails like ' +
    'create_template, and with not_found for an unknown template.',
  input: z.object({
    template_id: TemplateRef,
    key: Key.optional(),
    name: Name.optional(),
    category: Category.optional(),
    subject: Subject.nullable().optional().describe('Subject line; null removes it'),
    body: Body.optional(),
  }),
  output: z.object({ template: Template }),
  annotations: idempotentWrite,
  http: { method: 'PUT', path: '/templates/{template_id}' },
  handler: async (ctx, { template_id, ...input }) => ({
    template: await templates.updateTemplate(ctx, template_id, input),
  }),
});

const deleteTemplate = defineOperation({
  ...writes,
  name: 'delete_template',
  title: 'Delete template',
  description: 'Delete a template by id or key. Text already rendered from it is not affected. Cannot be undone.',
  input: z.object({ template_id: TemplateRef }),
  output: z.object({ template: Template }),
  annotations: destructive,
  http: { method: 'DELETE', path: '/templates/{template_id}' },
  handler: async (ctx, { template_id }) => ({ template: await templates.deleteTemplate(ctx, template_id) }),
});

export const templateOperations = [
  listTemplates,
  getTemplate,
  renderTemplate,
  createTemplate,
  updateTemplate,
  deleteTemplate,
];
