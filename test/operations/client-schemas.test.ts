import { type Server, createServer } from 'node:http';
import { GoogleGenAI } from '@google/genai';
import { type MCPServer, mcpToFunctionTool } from '@openai/agents-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../src/operations/catalog.js';
import { listenOnLoopback, readBody } from '../helpers/loopback.js';

/**
 * Every tool's schemas as the agent SDKs people use convert them, with the real packages:
 * - the OpenAI Agents SDK with `convertSchemasToStrict: true` turns an MCP tool into a strict
 *   function tool, and silently falls back to a non-strict one when the schema cannot be made strict;
 * - the Gemini SDK maps JSON Schema (`parameters` / `response` of a function declaration) into its
 *   `Schema` dialect, which allows one `type` per node and drops `additionalProperties`. That mapping
 *   is internal, so it runs the way an application runs it: generateContent against a loopback server
 *   that speaks the Gemini wire format, and the request it receives is checked.
 */

const catalog = new Catalog();
const tools = catalog.operations
  .filter(({ op }) => op.mcp !== false)
  .map(({ op, inputJsonSchema, outputJsonSchema }) => ({
    name: op.name,
    description: op.description,
    inputSchema: inputJsonSchema,
    outputSchema: outputJsonSchema,
  }));

type Json = Record<string, any>;

/** Each node of a JSON Schema with its place, for messages that say where a problem is. */
function* nodes(schema: Json, where = '#'): Generator<[string, Json]> {
  yield [where, schema];
  for (const key of ['properties', '$defs'] as const) {
    for (const [name, child] of Object.entries((schema[key] ?? {}) as Json))
      yield* nodes(child, `${where}/${key}/${name}`);
  }
  for (const key of ['anyOf', 'oneOf', 'allOf', 'prefixItems'] as const) {
    for (const [i, child] of ((schema[key] ?? []) as Json[]).entries()) yield* nodes(child, `${where}/${key}/${i}`);
  }
  for (const key of ['items', 'additionalProperties', 'not'] as const) {
    if (schema[key] && typeof schema[key] === 'object') yield* nodes(schema[key], `${where}/${key}`);
  }
}

describe('schemas every client accepts', () => {
  it.each(
    tools.flatMap((t) => [[`${t.name} input`, t.inputSchema] as const, [`${t.name} output`, t.outputSchema] as const]),
  )('%s has one type per node and no empty schema', (_, schema) => {
    const problems: string[] = [];
    for (const [where, node] of nodes(schema)) {
      if (Array.isArray(node.type)) problems.push(`${where}: type is a list (${node.type.join(', ')})`);
      if (Object.keys(node).filter((k) => k !== 'description').length === 0) problems.push(`${where}: empty schema`);
    }
    expect(problems.join('\n')).toBe('');
  });

  it.each(tools.map((t) => [t.name, t] as const))('%s converts to a strict OpenAI function tool', (_, t) => {
    const server = { name: 'switchboard' } as MCPServer;
    const converted = mcpToFunctionTool(t as unknown as Parameters<typeof mcpToFunctionTool>[0], server, true) as {
      strict: boolean;
      parameters: Json;
    };
    // A false `strict` is the SDK's fallback after it failed to convert (it only logs a warning).
    expect(converted.strict).toBe(true);
    const required = (t.inputSchema.required ?? []) as string[];
    expect(converted.parameters.required).toEqual(expect.arrayContaining(required));
    expect(converted.parameters.additionalProperties).toBe(false);
  });

  describe('Gemini', () => {
    let fake: Server;
    let baseUrl: string;
    let received: Json | undefined;

    beforeAll(async () => {
      fake = createServer(async (req, res) => {
        received = JSON.parse(await readBody(req));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            candidates: [{ content: { role: 'model', parts: [{ text: 'ok' }] }, finishReason: 'STOP' }],
          }),
        );
      });
      baseUrl = await listenOnLoopback(fake);
    });
    afterAll(() => new Promise<void>((resolve) => fake.close(() => resolve())));

    // The fields of the SDK's `Schema` type: anything else in a node is refused by the API.
    const SCHEMA_FIELDS = new Set([
      'anyOf',
      'default',
      'description',
      'enum',
      'example',
      'format',
      'items',
      'maxItems',
      'maxLength',
      'maxProperties',
      'maximum',
      'minItems',
      'minLength',
      'minProperties',
      'minimum',
      'nullable',
      'pattern',
      'properties',
      'propertyOrdering',
      'required',
      'title',
      'type',
    ]);
    const TYPES = new Set(['STRING', 'NUMBER', 'INTEGER', 'BOOLEAN', 'ARRAY', 'OBJECT']);

    /** What the Gemini API would refuse in a converted schema, and whether it kept every required field. */
    function geminiProblems(converted: Json, original: Json, part: 'parameters' | 'response'): string[] {
      const problems: string[] = [];
      for (const [where, node] of nodes(converted)) {
        for (const key of Object.keys(node))
          if (!SCHEMA_FIELDS.has(key)) problems.push(`${where}: ${key} is not a Gemini Schema field`);
        if (node.anyOf ? node.type : !TYPES.has(node.type))
          problems.push(`${where}: needs exactly one type, has ${JSON.stringify(node.type)}`);
        // A map has no properties in Gemini's Schema; the API accepts that in a response, not in parameters.
        if (
          part === 'parameters' &&
          node.type === 'OBJECT' &&
          !Object.keys(node.properties ?? {}).length &&
          where !== '#'
        )
          problems.push(`${where}: object without properties`);
        for (const name of node.required ?? [])
          if (!(name in (node.properties ?? {}))) problems.push(`${where}: required ${name} is not a property`);
      }
      const required = (original.required ?? []) as string[];
      if (required.some((r) => !(converted.required ?? []).includes(r))) problems.push('#: required fields were lost');
      return problems;
    }

    it.each(tools.map((t) => [t.name, t] as const))(
      '%s converts to Gemini Schema (parameters and response)',
      async (_, t) => {
        const ai = new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl } });
        received = undefined;
        await ai.models.generateContent({
          model: 'gemini-2.5-flash',
          contents: 'hi',
          config: {
            tools: [
              {
                functionDeclarations: [
                  { name: t.name, description: t.description, parameters: t.inputSchema, response: t.outputSchema },
                ],
              },
            ],
          },
        });
        const declaration = (received as Json | undefined)?.tools?.[0]?.functionDeclarations?.[0];
        expect(declaration?.parameters).toBeTruthy();
        expect(geminiProblems(declaration.parameters, t.inputSchema, 'parameters').join('\n')).toBe('');
        expect(geminiProblems(declaration.response, t.outputSchema, 'response').join('\n')).toBe('');
      },
    );
  });
});
