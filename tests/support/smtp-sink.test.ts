import { describe, expect, test } from 'vitest';
import { decodeWords, parseMessage } from './smtp-sink';

// The sink's small MIME reader; the real-server tests (api/mail, tests/sdk/mail.test.ts) read
// nodemailer's output with it, these pin the encodings nodemailer does not happen to produce.

describe('decodeWords (RFC 2047)', () => {
  test.each([
    ['plain text', 'plain text'],
    ['=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=', 'Grüße aus Köln'],
    ['=?utf-8?B?R3LDvMOfZQ==?=', 'Grüße'],
    // A character split across two words, and the space between adjacent words dropped.
    ['=?UTF-8?Q?Gr=C3?= =?UTF-8?Q?=BCn?=', 'Grün'],
    ['Re: =?ISO-8859-1?Q?K=F6ln?= today', 'Re: Köln today'],
  ])('%j → %j', (encoded, decoded) => {
    expect(decodeWords(encoded)).toBe(decoded);
  });
});

describe('parseMessage', () => {
  test('nested multipart with base64 and quoted-printable parts; attachments skipped', () => {
    const raw = [
      'From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.com>',
      'To: a@example.com',
      'Subject: =?UTF-8?B?w5xiZXJzaWNodA==?=',
      'Content-Type: multipart/mixed; boundary="outer"',
      '',
      '--outer',
      'Content-Type: multipart/alternative;',
      ' boundary=inner',
      '',
      '--inner',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Sch=C3=B6n, see https://x.example/a#token=3D1=',
      '23',
      '--inner',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('<p>Schön</p>').toString('base64'),
      '--inner--',
      '--outer',
      'Content-Type: text/plain',
      'Content-Disposition: attachment; filename=a.txt',
      '',
      'not the body',
      '--outer--',
      '',
    ].join('\r\n');
    const m = parseMessage(Buffer.from(raw, 'latin1'), { from: 'j@example.com', to: ['a@example.com'] });
    expect(m.subject).toBe('Übersicht');
    expect(m.from).toBe('Jürgen <j@example.com>');
    expect(m.text).toBe('Schön, see https://x.example/a#token=123');
    expect(m.html).toBe('<p>Schön</p>');
    expect(m.links).toEqual(['https://x.example/a#token=123']);
  });
});
