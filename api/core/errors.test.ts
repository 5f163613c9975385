import { describe, expect, test } from 'vitest';
import { ApiError, fieldError } from './errors';

describe('ApiError', () => {
  test.each([
    [400, 'Something went wrong while processing your request.'],
    [401, 'Missing or invalid authentication.'],
    [403, 'You are not allowed to perform this request.'],
    [404, "The requested resource wasn't found."],
    [413, 'Request entity too large.'],
    [500, 'Something went wrong while processing your request.'],
  ])('%i has PocketBase default message', (status, message) => {
    expect(new ApiError(status).toJSON()).toEqual({ status, message, data: {} });
  });

  test('messages are sentenized like PocketBase', () => {
    expect(ApiError.badRequest('failed to create record').message).toBe('Failed to create record.');
    expect(ApiError.badRequest('Done!').message).toBe('Done!');
  });

  test('the cause is kept for the log but never serialized', () => {
    const err = ApiError.internal(new Error('secret path /etc/shadow'));
    expect(JSON.stringify(err)).not.toContain('shadow');
    expect((err.cause as Error).message).toContain('shadow');
  });

  test('field errors use PocketBase shape', () => {
    const err = ApiError.badRequest(
      'Failed to create record.',
      fieldError('email', 'validation_required', 'cannot be blank'),
    );
    expect(err.toJSON().data).toEqual({
      email: { code: 'validation_required', message: 'Cannot be blank.' },
    });
  });

  test('413 closes the connection so the rest of the body is never read', () => {
    expect(ApiError.tooLarge().headers).toEqual({ connection: 'close' });
  });
});
