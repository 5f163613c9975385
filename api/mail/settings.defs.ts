import { isIP } from 'node:net';
import { z } from 'zod';
import { defineSettings } from '../core/settings';

/** A DNS name (RFC 1123 labels) or an IP address, as PocketBase's `is.Host`. */
const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** '' or a host name / IP address. */
const hostOrEmpty = z
  .string()
  .trim()
  .max(253)
  .refine((v) => v === '' || HOSTNAME.test(v) || isIP(v) !== 0, 'Must be a valid host name or IP address');

/**
 * PocketBase's mail settings (core/settings_model.go SMTPConfig and MetaConfig.sender*), with its
 * names and defaults. `smtp.authMethod` defaults to PLAIN (PocketBase stores '' and means PLAIN; ''
 * is accepted and read as PLAIN so PocketBase's own settings JSON can be sent back as it is).
 */
export const mailSettings = defineSettings({
  'smtp.enabled': {
    schema: z.boolean(),
    default: false,
    description: 'Send mail through the SMTP relay below; when off, mails are logged, not sent.',
  },
  'smtp.host': {
    schema: hostOrEmpty,
    default: 'smtp.example.com',
    description: 'Host name or IP address of the SMTP relay.',
  },
  'smtp.port': {
    schema: z.number().int().min(1).max(65535),
    default: 587,
    description: 'Port of the SMTP relay (587 submission with STARTTLS, 465 implicit TLS, 25).',
  },
  'smtp.username': {
    schema: z.string().max(1000),
    default: '',
    description: 'User name for SMTP AUTH; empty means no authentication.',
  },
  'smtp.password': {
    schema: z.string().max(1000),
    default: '',
    secret: true,
    description: 'Password for SMTP AUTH (never shown).',
  },
  'smtp.authMethod': {
    schema: z.preprocess((v) => (v === '' ? 'PLAIN' : v), z.enum(['PLAIN', 'LOGIN'])),
    default: 'PLAIN',
    description: 'SMTP AUTH mechanism: PLAIN or LOGIN.',
  },
  'smtp.tls': {
    schema: z.boolean(),
    default: false,
    description:
      'Implicit TLS from the first byte (usually port 465); when off, STARTTLS is used if the relay offers it.',
  },
  'smtp.localName': {
    schema: hostOrEmpty,
    default: '',
    description: 'Name sent in EHLO/HELO; empty means "localhost". Some relays (Gmail) want a real domain.',
  },
  'meta.senderName': {
    schema: z.string().trim().min(1).max(255),
    default: 'Support',
    description: 'Name in the From header of mails Hearth sends.',
  },
  'meta.senderAddress': {
    schema: z.email().max(255),
    default: 'support@example.com',
    description: 'Address in the From header of mails Hearth sends.',
  },
});
