import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, defaultDataDir, loadConfig } from '../src/config.js';

describe('the data directory', () => {
  it('defaults to one absolute per-user place, whatever the working directory', () => {
    expect(defaultDataDir({ HOME: '/home/ada', XDG_DATA_HOME: '/data/ada' }, 'linux')).toBe('/data/ada/switchboard');
    expect(defaultDataDir({ HOME: '/home/ada' }, 'linux')).toBe('/home/ada/.local/share/switchboard');
    // A relative XDG_DATA_HOME is invalid by the XDG spec and is ignored.
    expect(defaultDataDir({ HOME: '/home/ada', XDG_DATA_HOME: 'rel' }, 'linux')).toBe(
      '/home/ada/.local/share/switchboard',
    );
    expect(defaultDataDir({ HOME: '/Users/ada' }, 'darwin')).toBe('/Users/ada/Library/Application Support/switchboard');
    expect(defaultDataDir({ HOME: 'C:\\Users\\ada', LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' }, 'win32')).toBe(
      'C:\\Users\\ada\\AppData\\Local\\switchboard',
    );
    const config = loadConfig({ HOME: '/home/ada', XDG_DATA_HOME: '/data/ada' });
    expect(config.database).toMatchObject({ kind: 'pglite', dataDir: '/data/ada/switchboard' });
  });

  it('takes SWITCHBOARD_DATA_DIR when absolute (or memory://) and refuses a relative one, naming the variable', () => {
    expect(loadConfig({ SWITCHBOARD_DATA_DIR: '/srv/sb' }).database).toMatchObject({
      kind: 'pglite',
      dataDir: '/srv/sb',
    });
    expect(loadConfig({ SWITCHBOARD_DATA_DIR: 'memory://' }).database).toMatchObject({
      kind: 'pglite',
      dataDir: 'memory://',
    });
    for (const relative of ['./.switchboard', 'data', `..${path.sep}x`]) {
      expect(() => loadConfig({ SWITCHBOARD_DATA_DIR: relative })).toThrow(ConfigError);
      expect(() => loadConfig({ SWITCHBOARD_DATA_DIR: relative })).toThrow(
        /SWITCHBOARD_DATA_DIR: must be an absolute path/,
      );
    }
  });
});
