import type { RequestContext } from '../../kernel/context.js';
import { upsertProspect } from './prospects.service.js';

// Fictional people on the reserved example.com domain (RFC 2606): no real personal data.
const DEMO_PROSPECTS = [
  {
    email: 'ada.lovelace@example.com',
    first_name: 'Ada',
    last_name: 'Lovelace',
    company: 'Analytical Engines',
    title: 'CTO',
    tags: ['saas', 'priority'],
  },
  {
    email: 'grace.hopper@example.com',
    first_name: 'Grace',
    last_name: 'Hopper',
    company: 'Compiler Works',
    title: 'Head of Engineering',
    tags: ['saas'],
  },
  {
    email: 'alan.turing@example.com',
    first_name: 'Alan',
    last_name: 'Turing',
    company: 'Bletchley Labs',
    title: 'Founder',
    tags: ['research'],
  },
  {
    email: 'marie.curie@example.org',
    first_name: 'Marie',
    last_name: 'Curie',
    company: 'Radium Institute',
    title: 'Director',
    tags: ['research', 'fr'],
  },
  {
    email: 'katherine.johnson@example.net',
    first_name: 'Katherine',
    last_name: 'Johnson',
    company: 'Orbital Dynamics',
    title: 'Lead Analyst',
    tags: ['aerospace'],
  },
];

/** Upserts a handful of fictional prospects and returns their ids; running it twice changes nothing. */
export async function seedDemoData(ctx: RequestContext): Promise<string[]> {
  const ids: string[] = [];
  for (const p of DEMO_PROSPECTS) ids.push((await upsertProspect(ctx, p)).prospect.id);
  return ids;
}
