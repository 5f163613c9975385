import { describe, expect } from 'vitest';
import type { Hearth } from '../main';
import { superuserHeaders } from '../testing/hearth';
import { testScenarios } from '../testing/scenario';
import { count, fixture } from './records.fixture';

/** POST /api/batch: one transaction, all or nothing, off by default. */
describe('batch', () => {
  const enable = (h: Hearth) => h.settings.set({ 'batch.enabled': true });
  testScenarios(
    [
      {
        name: 'disabled by default → 403',
        method: 'POST',
        url: '/api/batch',
        headers: superuserHeaders,
        body: {
          requests: [{ method: 'POST', url: '/api/collections/comments/records', body: { message: 'x' } }],
        },
        expectedStatus: 403,
      },
      {
        name: 'all requests in one transaction',
        before: enable,
        method: 'POST',
        url: '/api/batch',
        headers: superuserHeaders,
        body: {
          requests: [
            {
              method: 'POST',
              url: '/api/collections/comments/records',
              body: { id: 'comment00000002', message: 'a' },
            },
            {
              method: 'PATCH',
              url: '/api/collections/comments/records/comment00000002',
              body: { message: 'b' },
            },
            {
              method: 'PUT',
              url: '/api/collections/comments/records',
              body: { id: 'comment00000003', message: 'c' },
            },
            { method: 'DELETE', url: '/api/collections/comments/records/comment00000001' },
          ],
        },
        expectedStatus: 200,
        expectedContent: ['"status":200', '"message":"b"', '"status":204'],
        expectedEvents: { RecordCreate: 2, RecordUpdate: 1, RecordDelete: 1, '*': 0 },
        after: (h) => expect(count(h, 'comments')).toBe(2),
      },
      {
        name: 'one failing request rolls back all of them',
        before: enable,
        method: 'POST',
        url: '/api/batch',
        headers: superuserHeaders,
        body: {
          requests: [
            { method: 'POST', url: '/api/collections/comments/records', body: { message: 'kept?' } },
            { method: 'POST', url: '/api/collections/posts/records', body: { title: '' } },
          ],
        },
        expectedStatus: 400,
        expectedContent: ['"requests":{"1":{"code":"batch_request_failed"', 'validation_required'],
        expectedEvents: { '*': 0 },
        after: (h) => expect(count(h, 'comments')).toBe(1),
      },
      {
        name: 'more requests than batch.maxRequests → 400',
        before: (h) => h.settings.set({ 'batch.enabled': true, 'batch.maxRequests': 1 }),
        method: 'POST',
        url: '/api/batch',
        headers: superuserHeaders,
        body: {
          requests: [
            { method: 'DELETE', url: '/api/collections/comments/records/comment00000001' },
            { method: 'DELETE', url: '/api/collections/comments/records/comment00000001' },
          ],
        },
        expectedStatus: 400,
        after: (h) => expect(count(h, 'comments')).toBe(1),
      },
    ],
    fixture,
  );
});
