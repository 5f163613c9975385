import { describe, expect } from 'vitest';
import { superuserHeaders, withSuperuser } from '../testing/hearth';
import { testScenarios } from '../testing/scenario';

const RELAY_PASSWORD = 'relay-secret-7f2a';

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
          '"meta":{"appName":"Hearth","appURL":"http://127.0.0.1:8090","senderAddress":"support@example.com","senderName":"Support"}',
          '"http":{"maxBodySize":33554432}',
          '"batch":{"enabled":false,"maxBodySize":0,"maxRequests":50,"timeout":3}',
          '"smtp":{"authMethod":"PLAIN","enabled":false,"host":"smtp.example.com","localName":"","port":587,"tls":false,"username":""}',
        ],
        notExpectedContent: ['secret', '"password"'],
      },
      {
        name: 'GET with an SMTP password stored → the password is left out, as PocketBase does',
        method: 'GET',
        url: '/api/settings',
        headers: superuserHeaders,
        before: (h) => h.settings.set({ 'smtp.username': 'relay', 'smtp.password': RELAY_PASSWORD }),
        expectedStatus: 200,
        expectedContent: ['"username":"relay"'],
        notExpectedContent: ['"password"', RELAY_PASSWORD],
      },
      {
        name: 'PATCH with an SMTP password → stored, and not in the answer',
        method: 'PATCH',
        url: '/api/settings',
        headers: superuserHeaders,
        body: { smtp: { enabled: true, host: 'mail.example.org', password: RELAY_PASSWORD } },
        expectedStatus: 200,
        expectedContent: ['"enabled":true', '"host":"mail.example.org"'],
        notExpectedContent: ['"password"', RELAY_PASSWORD],
        expectedEvents: { SettingsUpdate: 1, '*': 0 },
        after: (h) => expect(h.settings.get('smtp.password')).toBe(RELAY_PASSWORD),
      },
      {
        name: 'PATCH with an empty SMTP password → the stored one is kept',
        method: 'PATCH',
        url: '/api/settings',
        headers: superuserHeaders,
        before: (h) => h.settings.set({ 'smtp.password': RELAY_PASSWORD }),
        body: { smtp: { password: '', port: 2525 } },
        expectedStatus: 200,
        expectedContent: ['"port":2525'],
        notExpectedContent: ['"password"', RELAY_PASSWORD],
        expectedEvents: { SettingsUpdate: 1, '*': 0 },
        after: (h) => {
          expect(h.settings.get('smtp.password')).toBe(RELAY_PASSWORD);
          expect(h.settings.get('smtp.port')).toBe(2525);
        },
      },
      {
        name: 'PATCH with an SMTP password that is not text → 400, nothing written',
        method: 'PATCH',
        url: '/api/settings',
        headers: superuserHeaders,
        before: (h) => h.settings.set({ 'smtp.password': RELAY_PASSWORD }),
        body: { smtp: { password: 12345 } },
        expectedStatus: 400,
        expectedContent: ['"smtp":{"password":{"code":"validation_invalid_value"'],
        notExpectedContent: [RELAY_PASSWORD],
        after: (h) => expect(h.settings.get('smtp.password')).toBe(RELAY_PASSWORD),
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
        body: { meta: { appName: 'Changed', colour: 'red' }, s3: { bucket: 'x' } },
        expectedStatus: 400,
        expectedContent: [
          '"meta":{"colour":{"code":"validation_unknown_field"',
          '"s3":{"bucket":{"code":"validation_unknown_field"',
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
