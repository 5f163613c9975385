import { describe } from 'vitest';
import { testScenarios } from '../testing/scenario';

describe('GET|HEAD /api/health', () => {
  testScenarios([
    {
      name: 'GET answers as PocketBase',
      method: 'GET',
      url: '/api/health',
      expectedStatus: 200,
      expectedContent: ['{"message":"API is healthy.","code":200,"data":{}}'],
      expectedEvents: { '*': 0 },
    },
    {
      name: 'HEAD answers 200 without a body',
      method: 'HEAD',
      url: '/api/health',
      expectedStatus: 200,
      notExpectedContent: ['healthy'],
    },
    {
      name: 'unknown API path is PocketBase 404 JSON',
      method: 'GET',
      url: '/api/healthz',
      expectedStatus: 404,
      expectedContent: ['"status":404', '"message":"The requested resource wasn\'t found."', '"data":{}'],
    },
  ]);
});
