import { getCookie } from 'hono/cookie';
import { ApiError, type ErrorData } from '../core/errors';
import {
  readJsonBody,
  requestHeader,
  requireSuperuser,
  SUPERUSERS,
  type ApiApp,
  type ApiContext,
} from '../core/http';
import type { Deps } from '../main';
import { LANGUAGE_COOKIE, pickLanguage, type LanguageCode } from '../../web/lib/i18n/languages';
import { AUTH_MAIL_KINDS, renderAuthMail, type AuthMailKind } from './mail.render';
import { MailError, sendMail } from './mail.send';

export { AUTH_MAIL_KINDS, renderAuthMail, type AuthMailKind, type AuthMailVars } from './mail.render';
export { MailError, sendAuthMail, type MailDeps } from './mail.send';

/** What a test mail carries instead of a real token or code: it unlocks nothing. */
export const TEST_TOKEN = 'hearth-test-email-token';
export const TEST_OTP = '123456';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * POST /api/settings/test/email (superusers), PocketBase's "send test email": `{email, template,
 * collection}` (apis/settings.go settingsTestEmail, forms/test_email_send.go). Renders the template
 * in the request's language (the `hearth_lang` cookie, else Accept-Language, which the SDK sends as
 * `pb.lang`) with a fake token or code and sends it through the configured relay: 204 once the relay
 * accepted it; 400 with the relay's message when it refused or could not be reached, or when SMTP is off.
 */
export function register(app: ApiApp, deps: Deps): void {
  app.post('/api/settings/test/email', async (c) => {
    requireSuperuser(c);
    const { email, template, collectionName } = readTestEmail(await readJsonBody(c), deps);
    const mail = renderAuthMail(
      template,
      email,
      { collectionName, lang: requestLanguage(c), token: TEST_TOKEN, otp: TEST_OTP },
      { appName: deps.settings.get('meta.appName'), appURL: deps.settings.get('meta.appURL') },
    );
    let sent: boolean;
    try {
      sent = await sendMail(deps, { to: email, subject: mail.subject, text: mail.text, html: mail.html });
    } catch (err) {
      if (!(err instanceof MailError)) throw err;
      // PocketBase's wording; the relay's or the socket's message, never a stack.
      throw ApiError.badRequest(`Failed to send the test email. Raw error: \n${err.message}`, undefined, err);
    }
    if (!sent) {
      throw ApiError.badRequest(
        'Failed to send the test email: SMTP is off. Turn on smtp.enabled and set the relay first.',
      );
    }
    deps.logger.info({ template, to: email, lang: mail.lang }, 'test mail sent');
    return c.body(null, 204);
  });
}

/**
 * The language for mails a request causes: the web app's `hearth_lang` cookie, else the best
 * Accept-Language match (the SDK sends `pb.lang` there), else English.
 */
export function requestLanguage(c: ApiContext): LanguageCode {
  return pickLanguage(getCookie(c, LANGUAGE_COOKIE), requestHeader(c, 'accept-language'));
}

function readTestEmail(
  body: Record<string, unknown>,
  deps: Deps,
): { email: string; template: AuthMailKind; collectionName: string } {
  const errors: ErrorData = {};
  const { email, template, collection = '' } = body;

  let collectionName: string = SUPERUSERS.name;
  if (typeof collection !== 'string' || collection.length > 255) {
    errors['collection'] = invalidCollection();
  } else if (collection !== '') {
    const found = deps.collections.find(collection);
    if (found?.type !== 'auth') errors['collection'] = invalidCollection();
    else collectionName = found.name;
  }

  if (email === undefined || email === null || email === '') {
    errors['email'] = { code: 'validation_required', message: 'Cannot be blank.' };
  } else if (typeof email !== 'string' || email.length > 255 || !EMAIL.test(email)) {
    errors['email'] = { code: 'validation_is_email', message: 'Must be a valid email address.' };
  }

  if (template === undefined || template === null || template === '') {
    errors['template'] = { code: 'validation_required', message: 'Cannot be blank.' };
  } else if (!(AUTH_MAIL_KINDS as readonly unknown[]).includes(template)) {
    errors['template'] = { code: 'validation_in_invalid', message: 'Must be a valid value.' };
  }

  if (Object.keys(errors).length > 0) throw ApiError.badRequest('Failed to send the test email.', errors);
  return { email: email as string, template: template as AuthMailKind, collectionName };
}

function invalidCollection(): { code: string; message: string } {
  return {
    code: 'validation_invalid_auth_collection',
    message: 'Must be a valid auth collection id or name.',
  };
}
