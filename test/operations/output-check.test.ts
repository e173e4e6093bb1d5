import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { systemClock } from '../../src/kernel/clock.js';
import type { Principal, Services } from '../../src/kernel/context.js';
import { defineOrgOperation } from '../../src/operations/define.js';
import { Registry } from '../../src/operations/invoker.js';

/** Every result is checked against the declared output before it leaves the registry. */
describe('output checks', () => {
  const lines: string[] = [];
  const log = pino(
    { level: 'error' },
    new Writable({ write: (chunk, _enc, done) => done(void lines.push(String(chunk))) }),
  );
  const principal: Principal = {
    keyId: 'key_1',
    organizationId: 'org_1',
    name: 't',
    scopes: ['*'],
    allWorkspaces: true,
    workspaceIds: [],
  };
  const echoing = (result: unknown) =>
    defineOrgOperation({
      name: 'shape_test',
      title: 'Shape test',
      toolset: 'workspaces',
      scope: 'workspaces:read',
      description: 'test',
      input: z.object({}),
      output: z.object({
        items: z.array(z.object({ id: z.string(), n: z.number().int().nullable() })),
        note: z.string().optional(),
      }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      handler: async () => result as never,
    });
  const run = (result: unknown) => {
    const registry = new Registry({ clock: systemClock } as Services, [echoing(result)]);
    return registry.invoke(registry.get('shape_test')!, principal, {}, { requestId: 'req_1', log });
  };

  it('passes a result that matches, as it is', async () => {
    const result = {
      items: [
        { id: 'a', n: 1 },
        { id: 'b', n: null },
      ],
      note: undefined,
    };
    expect((await run(result)).output).toBe(result);
  });

  it('refuses, and logs, a result with a wrong type, a missing field or an undeclared field', async () => {
    for (const bad of [
      { items: [{ id: 'a', n: 1.5 }] },
      { items: [{ id: 'a' }] },
      { items: [{ id: 'a', n: 1, secret: 'leak' }] },
      { items: [], extra: true },
    ]) {
      lines.length = 0;
      await expect(run(bad)).rejects.toMatchObject({
        code: 'internal',
        message: 'The server produced an invalid result; the error was logged',
      });
      expect(lines.join('')).toMatch(/"operation":"shape_test".*operation output does not match its schema/);
    }
  });
});
