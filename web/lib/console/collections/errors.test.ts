import { ClientResponseError } from 'pocketbase';
import { describe, expect, test } from 'vitest';
import { translator } from '$lib/i18n/i18next';
import { fieldErrors } from './errors';

const failure = (data: unknown) =>
  new ClientResponseError({ status: 400, response: { status: 400, message: 'Failed.', data } });

describe('collection save errors', () => {
  test('nested errors become dotted paths', () => {
    const errors = fieldErrors(
      failure({
        name: { code: 'validation_required', message: 'Cannot be blank.' },
        fields: { '2': { name: { code: 'x_unknown', message: 'Duplicated name.' } } },
        listRule: { code: 'validation_invalid_rule', message: 'Invalid rule: unknown field "nope".' },
      }),
      translator('en'),
    );
    expect(Object.fromEntries(errors)).toEqual({
      name: 'Cannot be blank.',
      'fields.2.name': 'Duplicated name.',
      listRule: 'Invalid rule: unknown field "nope".',
    });
  });

  test('anything else gives no field errors', () => {
    expect(fieldErrors(new Error('boom'), translator('en')).size).toBe(0);
    expect(fieldErrors(failure(null), translator('en')).size).toBe(0);
  });
});
