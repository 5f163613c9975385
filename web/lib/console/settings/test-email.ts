/**
 * The mails POST /api/settings/test/email can send, in the order the console offers them: the
 * server's AUTH_MAIL_KINDS (api/mail/mail.render.ts), listed here so the browser bundle does not
 * import server code. A kind the server drops answers 400 `validation_in_invalid` on `template`.
 */
export const TEST_EMAIL_TEMPLATES = [
  'verification',
  'password-reset',
  'email-change',
  'otp',
  'login-alert',
] as const;

export type TestEmailTemplate = (typeof TEST_EMAIL_TEMPLATES)[number];
