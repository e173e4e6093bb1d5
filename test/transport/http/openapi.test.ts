import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { compileErrors, validate } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startHttpServer } from '../../../src/transport/http/server.js';
import { REST_PREFIX } from '../../../src/transport/http/rest.js';
import { type TestApp, createTestApp } from '../../helpers/app.js';

/**
 * The published OpenAPI document, fetched from a running server as a client would and checked by
 * real validators: the OpenAPI 3.1 meta-schema plus the parser's own rules (path parameters,
 * duplicate operationIds, ...), then every Schema Object against JSON Schema 2020-12, which the
 * 3.1 meta-schema leaves unchecked (it accepts any object as a schema).
 */

let t: TestApp;
let server: RunningServer;
let doc: any;
const run = promisify(execFile);

beforeAll(async () => {
  t = await createTestApp();
  server = await startHttpServer(t.app, { port: 0 });
  const res = await fetch(`${server.url}/api/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = await res.json();
});

afterAll(async () => {
  await server?.close();
  await t?.close();
});

/** The validator's verdict, as its own readable messages ('' when there is nothing to say). */
async function openApiProblems(document: unknown): Promise<string> {
  // The parser dereferences in place: it gets a copy, so every test sees the document as served.
  const result = await validate(structuredClone(document) as Parameters<typeof validate>[0]);
  return result.valid && result.warnings.length === 0 ? '' : compileErrors(result);
}

/** Each Schema Object in the document compiled strictly as JSON Schema 2020-12, the 3.1 dialect; one line per failure. */
function schemaProblems(document: any): string[] {
  const ajv = new Ajv2020({ strict: true, validateFormats: false });
  // The keywords the OpenAPI 3.1 dialect adds to JSON Schema.
  ajv.addVocabulary(['discriminator', 'xml', 'externalDocs', 'example']);
  const problems: string[] = [];
  const check = (where: string, schema: any) => {
    if (schema?.$ref?.startsWith('#/components/')) return; // checked once, below
    try {
      ajv.compile(schema);
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message}`);
    }
  };
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {}))
    check(`components.schemas.${name}`, schema);
  for (const [path, methods] of Object.entries<any>(document.paths)) {
    for (const [method, op] of Object.entries<any>(methods)) {
      const at = `${method.toUpperCase()} ${path}`;
      for (const p of op.parameters ?? []) check(`${at} parameter ${p.name}`, p.schema);
      for (const [type, media] of Object.entries<any>(op.requestBody?.content ?? {}))
        check(`${at} request body ${type}`, media.schema);
      for (const [status, response] of Object.entries<any>(op.responses ?? {})) {
        for (const [type, media] of Object.entries<any>(response.content ?? {}))
          check(`${at} response ${status} ${type}`, media.schema);
      }
    }
  }
  return problems;
}

describe('GET /api/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document, without warnings', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const problems = await openApiProblems(doc);
    expect(problems, problems).toBe('');
  });

  it('holds only valid JSON Schema 2020-12 schemas', () => {
    expect(schemaProblems(doc)).toEqual([]);
  });

  it('lists exactly the operations that declare http, under their method and path', () => {
    const expected = t.app.registry.operations
      .filter((c) => c.op.http)
      .map(({ op }) => `${op.http!.method.toLowerCase()} ${REST_PREFIX}${op.http!.path} ${op.name}`);
    expected.push(`get ${REST_PREFIX}/health health`);
    // The one hand-written /api/v1 route: the chat answer as Server-Sent Events.
    expected.push(`post ${REST_PREFIX}/chat/stream chat_stream`);
    const served = Object.entries<Record<string, { operationId: string }>>(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => `${method} ${path} ${operation.operationId}`),
    );
    expect(served.sort()).toEqual(expected.sort());
  });
});

describe('the checks above', () => {
  // Without these, a validator that accepted anything would pass the document too.
  it('reject a path parameter that is not declared, with the validator message', async () => {
    const broken = structuredClone(doc);
    const [path, methods] = Object.entries<any>(broken.paths).find(([p]) => p.includes('{'))!;
    for (const op of Object.values<any>(methods)) op.parameters = op.parameters.filter((p: any) => p.in !== 'path');
    expect(await openApiProblems(broken)).toContain(path);
  });

  it('reject a schema with an unknown type', () => {
    const broken = structuredClone(doc);
    broken.components.schemas.Error.properties.error.properties.code.type = 'strin';
    expect(schemaProblems(broken)).toEqual([expect.stringContaining('components.schemas.Error')]);
  });
});

describe('the OpenAPI document under Redocly lint (recommended rules)', () => {
  it('has no errors and no warnings', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sb-openapi-'));
    const file = path.join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(doc));
    const cli = path.join(
      path.dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')),
      'bin/cli.js',
    );
    const { stdout } = await run(process.execPath, [cli, 'lint', file, '--format=json'], {
      cwd: dir,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    }).catch((e) => e);
    const report = JSON.parse(stdout.slice(stdout.indexOf('{')));
    const problems = report.problems.map(
      (p: any) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer}`,
    );
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 120_000);

  it('declares the multipart upload of add_document and the 4xx answers of each operation', () => {
    const add = doc.paths[`${REST_PREFIX}/knowledge-bases/{knowledge_base_id}/documents`].post;
    expect(add.requestBody.content['multipart/form-data'].schema).toMatchObject({
      required: expect.arrayContaining(['file']),
      properties: { file: { type: 'string' } },
    });
    expect(Object.keys(add.responses)).toEqual(
      expect.arrayContaining(['400', '401', '403', '404', '409', '413', '415']),
    );
    const create = doc.paths[`${REST_PREFIX}/drafts`].post;
    expect(create.responses['422'].description).toMatch(/suppressed/);
    for (const [path, methods] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(methods))
        expect(
          Object.keys(op.responses).some((s) => /^4\d\d$/.test(s)),
          `${method} ${path}`,
        ).toBe(true);
    }
  });
});
