import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, parseListenAddress, resolveBootstrap } from './config';

describe('parseListenAddress', () => {
  test.each([
    ['127.0.0.1:8090', { host: '127.0.0.1', port: 8090 }],
    ['0.0.0.0:80', { host: '0.0.0.0', port: 80 }],
    [':8090', { host: '0.0.0.0', port: 8090 }],
    ['[::1]:8090', { host: '::1', port: 8090 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
  ])('%s', (text, expected) => {
    expect(parseListenAddress(text)).toEqual(expected);
  });

  test.each(['8090', '127.0.0.1', '127.0.0.1:99999', '127.0.0.1:-1', '::1:8090', 'a b:80', ''])(
    'rejects %j',
    (text) => {
      expect(() => parseListenAddress(text)).toThrow(ConfigError);
    },
  );
});

describe('resolveBootstrap', () => {
  test('defaults', () => {
    expect(resolveBootstrap({}, {})).toEqual({
      host: '127.0.0.1',
      port: 8090,
      dir: resolve('hearth_data'),
      domain: 'localhost',
      dev: false,
    });
  });

  test('environment variables apply, flags win over them', () => {
    const env = {
      HEARTH_HTTP: '0.0.0.0:9000',
      HEARTH_DIR: '/srv/h',
      HEARTH_DOMAIN: 'Example.ORG',
      HEARTH_DEV: 'yes',
    };
    expect(resolveBootstrap({}, env)).toEqual({
      host: '0.0.0.0',
      port: 9000,
      dir: '/srv/h',
      domain: 'example.org',
      dev: true,
    });
    expect(resolveBootstrap({ http: '127.0.0.1:1', dir: '/x', domain: 'a.b', dev: false }, env)).toEqual({
      host: '127.0.0.1',
      port: 1,
      dir: '/x',
      domain: 'a.b',
      dev: false,
    });
  });

  test.each([
    [{ domain: 'bad domain' }, {}, /Invalid domain/],
    [{ domain: '-x.com' }, {}, /Invalid domain/],
    [{}, { HEARTH_DEV: 'sometimes' }, /HEARTH_DEV/],
    [{ http: 'nope' }, {}, /listen address/],
    [{ dir: ' ' }, {}, /data folder/],
  ])('rejects %j %j', (flags, env, message) => {
    expect(() => resolveBootstrap(flags, env)).toThrow(message);
  });
});
