import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../src/kernel/outbox.js';

describe('the README event catalogue', () => {
  it('documents every event type with a payload example', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const catalogue = readme.slice(readme.indexOf('**Event catalogue.**'));
    const missing = EVENT_TYPES.filter(
      (type) => !new RegExp(`^\\| \`${type.replace('.', '\\.')}\` \\| \`\\{`, 'm').test(catalogue),
    );
    expect(missing).toEqual([]);
  });
});
