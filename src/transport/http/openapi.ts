import { VERSION } from '../../app.js';
import { ERROR_CODES } from '../../kernel/errors.js';
import type { Catalog } from '../../operations/catalog.js';
import { type HttpRoute, TOOLSETS } from '../../operations/define.js';
import { REST_PREFIX, pathParams } from './rest.js';

const successStatuses = (status: HttpRoute['status']) => (status === 'created' ? [200, 201] : [status ?? 200]);

const errorResponse = { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

/** The OpenAPI 3.1 document, generated from the same declarations as the MCP tools. */
export function buildOpenApi(registry: Catalog): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {
    [`${REST_PREFIX}/health`]: {
      get: {
        operationId: 'health',
        summary: 'Health check',
        security: [],
        responses: { 200: { description: 'The server and its database answer' }, 503: errorResponse },
      },
    },
  };
  for (const c of registry.operations) {
    const { op } = c;
    if (!op.http) continue;
    const inPath = pathParams(op.http.path);
    const props = { ...((c.inputJsonSchema.properties ?? {}) as Record<string, unknown>) };
    const required = ((c.inputJsonSchema.required ?? []) as string[]).filter((r) => !inPath.includes(r));
    delete props.idempotency_key;
    for (const p of inPath) delete props[p];

    const parameters: unknown[] = inPath.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
    const operation: Record<string, unknown> = {
      operationId: op.name,
      summary: op.title,
      description: op.description,
      tags: [op.toolset],
      'x-required-scope': op.scope,
      'x-mcp-tool': op.mcp === false ? false : op.name,
      parameters,
      responses: {
        ...Object.fromEntries(successStatuses(op.http.status).map((s) => [s, { description: s === 201 ? 'Created' : 'Success', content: { 'application/json': { schema: c.outputJsonSchema } } }])),
        default: errorResponse,
      },
    };
    if (op.http.method === 'GET' || op.http.method === 'DELETE') {
      for (const [name, schema] of Object.entries(props)) parameters.push({ name, in: 'query', required: required.includes(name), schema });
    } else {
      operation.requestBody = {
        required: required.length > 0,
        content: { 'application/json': { schema: { type: 'object', properties: props, required, additionalProperties: false } } },
      };
    }
    if (c.acceptsIdempotencyKey) {
      parameters.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 }, description: 'Replays the first result for a repeated request' });
    }
    const path = REST_PREFIX + op.http.path;
    paths[path] = { ...paths[path], [op.http.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Switchboard REST API', version: VERSION, description: 'Every operation here is also an MCP tool at /mcp, named by x-mcp-tool; x-mcp-tool: false marks the REST-only ones.' },
    servers: [{ url: '/' }],
    tags: Object.entries(TOOLSETS).map(([name, description]) => ({ name, description })),
    security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'type'],
              properties: {
                code: { type: 'string', enum: [...ERROR_CODES] },
                message: { type: 'string' },
                param: { type: 'string' },
                type: { type: 'string' },
              },
            },
          },
        },
      },
    },
  };
}
