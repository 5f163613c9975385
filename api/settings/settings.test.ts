import { describe, expect } from 'vitest';
import { superuserHeaders, withSuperuser } from '../testing/hearth';
import { testScenarios } from '../testing/scenario';

describe('GET|PATCH /api/settings', () => {
  testScenarios(
    [
      {
        name: 'GET without a token → 401',
        method: 'GET',
        url: '/api/settings',
        expectedStatus: 401,
      },
      {
        name: 'GET as superuser → every setting in PocketBase nested shape',
        method: 'GET',
        url: '/api/settings',
        headers: superuserHeaders,
        expectedStatus: 200,
        expectedContent: [
          '"meta":{"appName":"Hearth","appURL":"http://127.0.0.1:8090"}',
          '"http":{"maxBodySize":33554432}',
          '"batch":{"enabled":false,"maxBodySize":0,"maxRequests":50,"timeout":3}',
        ],
        notExpectedContent: ['secret'],
      },
      {
        name: 'PATCH without a token → 401, nothing written',
        method: 'PATCH',
        url: '/api/settings',
        body: { meta: { appName: 'Stolen' } },
        expectedStatus: 401,
        after: (h) => expect(h.settings.get('meta.appName')).toBe('Hearth'),
      },
      {
        name: 'PATCH part of the settings → 200 with all of them, one event',
        method: 'PATCH',
        url: '/api/settings',
        headers: superuserHeaders,
        body: { meta: { appName: 'Family Cloud' }, http: { maxBodySize: 1048576 } },
        expectedStatus: 200,
        expectedContent: [
          '"appName":"Family Cloud"',
          '"maxBodySize":1048576',
          '"appURL":"http://127.0.0.1:8090"',
        ],
        expectedEvents: { SettingsUpdate: 1, '*': 0 },
        after: (h) => {
          expect(h.settings.get('meta.appName')).toBe('Family Cloud');
          expect(h.settings.get('http.maxBodySize')).toBe(1048576);
        },
      },
      {
        name: 'PATCH with an unknown setting → 400 naming it, nothing written',
        method: 'PATCH',
        url: '/api/settings',
        headers: superuserHeaders,
        body: { meta: { appName: 'Changed', colour: 'red' }, smtp: { host: 'x' } },
        expectedStatus: 400,
        expectedContent: [
          '"meta":{"colour":{"code":"validation_unknown_field"',
          '"smtp":{"host":{"code":"validation_unknown_field"',
        ],
        after: (h) => expect(h.settings.get('meta.appName')).toBe('Hearth'),
      },
      {
        name: 'PATCH with a wrong value next to a right one → 400, nothing written',
        method: 'PATCH',
        url: '/api/settings',
        headers: superuserHeaders,
        body: { meta: { appName: 'Changed', appURL: 'javascript:alert(1)' }, http: { maxBodySize: -1 } },
        expectedStatus: 400,
        expectedContent: [
          '"appURL":{"code":"validation_invalid_value"',
          '"maxBodySize":{"code":"validation_invalid_value"',
        ],
        after: (h) => expect(h.settings.get('meta.appName')).toBe('Hearth'),
      },
      {
        name: 'PATCH with a section that is not an object → 400',
        method: 'PATCH',
        url: '/api/settings',
        headers: superuserHeaders,
        body: { meta: 'Hearth' },
        expectedStatus: 400,
        expectedContent: ['"meta":{"code":"validation_invalid_value"'],
      },
    ],
    withSuperuser,
  );
});
