import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as migration from '../../../src/adapters/db/migrations/2026_11_30_1100_provider_event_unique.js';
import { type TestApp, addWorkspace, createOrg, createTestApp } from '../../helpers/app.js';

describe('the provider event key migration', () => {
  let t: TestApp;
  let a: string;
  let b: string;

  beforeAll(async () => {
    t = await createTestApp();
    const org = await createOrg(t.app);
    a = (await addWorkspace(t.app, org, 'a')).id;
    b = (await addWorkspace(t.app, org, 'b')).id;
  });
  afterAll(() => t?.close());

  it('drops the duplicates the old check let through, keeping the earliest, and remembers every applied id', async () => {
    const db = t.app.db;
    await migration.down(db);
    const event = (workspace: string, id: string, type: string, minute: number, data: Record<string, unknown>) => ({
      workspace_id: workspace,
      id,
      type,
      prospect_id: null,
      data: JSON.stringify(data),
      actor_type: 'system' as const,
      actor_id: 'resend-webhook',
      is_test: false,
      created_at: new Date(Date.UTC(2026, 10, 20, 12, minute)),
    });
    await db
      .insertInto('events')
      .values([
        event(a, 'evt_3', 'email.bounced', 3, { webhook_id: 'msg_1', provider: 'resend' }),
        event(a, 'evt_1', 'email.bounced', 1, { webhook_id: 'msg_1', provider: 'resend' }),
        event(a, 'evt_2', 'email.bounced', 2, { webhook_id: 'msg_1', provider: 'resend' }),
        event(a, 'evt_4', 'email.delivered', 4, { webhook_id: 'msg_2', provider: 'resend' }),
        event(a, 'evt_5', 'email.sent', 5, { draft_id: 'drf_1' }),
        event(b, 'evt_6', 'email.bounced', 6, { webhook_id: 'msg_1', provider: 'resend' }),
      ])
      .execute();

    await migration.up(db);

    const events = await db
      .selectFrom('events')
      .select(['workspace_id', 'id'])
      .where('id', 'like', 'evt\\_%')
      .orderBy('id')
      .execute();
    expect(events).toEqual([
      { workspace_id: a, id: 'evt_1' },
      { workspace_id: a, id: 'evt_4' },
      { workspace_id: a, id: 'evt_5' },
      { workspace_id: b, id: 'evt_6' },
    ]);
    const applied = await db
      .selectFrom('provider_events')
      .select(['workspace_id', 'provider', 'event_id', 'type'])
      .execute();
    expect(applied).toHaveLength(3);
    expect(applied).toEqual(
      expect.arrayContaining([
        { workspace_id: a, provider: 'resend', event_id: 'msg_1', type: 'email.bounced' },
        { workspace_id: a, provider: 'resend', event_id: 'msg_2', type: 'email.delivered' },
        { workspace_id: b, provider: 'resend', event_id: 'msg_1', type: 'email.bounced' },
      ]),
    );

    // The key now holds: a second copy of an applied id is refused by the database itself.
    const again = db.insertInto('provider_events').values({
      workspace_id: a,
      provider: 'resend',
      event_id: 'msg_1',
      type: 'email.bounced',
      received_at: new Date(),
    });
    await expect(again.execute()).rejects.toThrow(/provider_events_pkey/);
  });
});
