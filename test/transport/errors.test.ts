import { describe, expect, it } from 'vitest';
import { toAppError } from '../../src/transport/errors.js';
import { captureLog } from '../helpers/log.js';

describe('toAppError', () => {
  it('reports text PostgreSQL refuses as the caller’s invalid_request, with a warning to fix the input check', () => {
    for (const code of ['22021', '22P05']) {
      const { log, lines } = captureLog();
      const err = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code });
      const appError = toAppError(err, log, 'req-1');
      expect(appError.code).toBe('invalid_request');
      expect(appError.message).toBe(
        'Invalid input: text must not contain the NUL character (\\u0000) or invalid Unicode',
      );
      expect(lines.map((l) => [l.level, l.msg])).toEqual([
        [40, 'the database refused input text that the input checks let through'],
      ]);
    }
  });

  it('still hides and logs any other error as internal', () => {
    const { log, lines } = captureLog();
    expect(toAppError(Object.assign(new Error('boom'), { code: '23505' }), log, 'req-2').code).toBe('internal');
    expect(lines.map((l) => l.level)).toEqual([50]);
  });
});
