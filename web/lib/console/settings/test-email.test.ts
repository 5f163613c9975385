import { expect, test } from 'vitest';
import { AUTH_MAIL_KINDS } from '../../../../api/mail/mail.render';
import { TEST_EMAIL_TEMPLATES } from './test-email';

test('the console offers exactly the mails the server can send as a test', () => {
  expect([...TEST_EMAIL_TEMPLATES].sort()).toEqual([...AUTH_MAIL_KINDS].sort());
});
