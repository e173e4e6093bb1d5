import type { Context, Hono } from 'hono';
import { AppError } from '../../kernel/errors.js';
import { toAppError } from '../errors.js';
import type { ConsoleContext, ConsoleEnv, Form, Page } from './context.js';
import { setFlash } from './session.js';

/** Where a form may send the browser back to: a console path, never another site. */
export function safeBack(value: string | undefined, fallback: string): string {
  return value && /^\/console(\/[\w\-.]*)*(\?\S*)?$/.test(value) && !value.includes('//') ? value : fallback;
}

export async function readForm(c: Context): Promise<Form> {
  const body = await c.req.parseBody({ all: true }).catch(() => {
    throw new AppError('invalid_request', 'The form could not be read');
  });
  const form: Form = {};
  for (const [name, value] of Object.entries(body)) {
    const values = Array.isArray(value) ? value : [value];
    form[name] = values.filter((v): v is string => typeof v === 'string');
  }
  return form;
}

export const field = (form: Form, name: string): string | undefined => form[name]?.[0];

/** A text field, trimmed; undefined when blank. */
export const text = (form: Form, name: string): string | undefined => field(form, name)?.trim() || undefined;

/**
 * A form action, POST-redirect-GET: runs, leaves a one-time message (what happened, or the error's
 * own message) and sends the browser back. A refused scope is not a message but a 403 page.
 */
export function action(
  ui: Hono<ConsoleEnv>,
  path: string,
  fallback: string,
  run: (page: Page, form: Form, c: ConsoleContext) => Promise<string>,
): void {
  ui.post(path, async (c) => {
    const form = c.get('form');
    const back = safeBack(field(form, '_back'), fallback);
    try {
      setFlash(c, 'ok', await run(c.get('page'), form, c));
    } catch (err) {
      const e = toAppError(err, c.get('log'), c.get('requestId'));
      if (e.code === 'forbidden' || e.code === 'unauthorized' || e.code === 'internal') throw e;
      setFlash(c, 'error', e.message);
    }
    return c.redirect(back, 303);
  });
}
