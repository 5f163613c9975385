import { superuserToken, expect, test } from './fixtures';
import { accessibilityProblems } from './helpers';
import { createUser, join, MEDIA_LAUNCH, mediaContext, received, startMeeting, tile } from './meet-helpers';

/**
 * Meet (issue 8) in three browsers with fake cameras and microphones: a host starts a meeting with
 * a password, two guests join it, and each decodes the other two's video and hears their audio;
 * muting, a screen share, chat (a late joiner reads the history), leaving and a wrong password, all
 * seen from the other browsers.
 */
test.use({ launchOptions: MEDIA_LAUNCH });

const ANN = ['ann@example.com', 'ann password 12'] as const;
const PASSWORD = 'open sesame 42';

test('three people meet: video, audio, mute, screen share, chat and leaving reach the others', async ({
  browser,
  hearth,
  request,
}) => {
  test.setTimeout(180_000);
  await createUser(hearth.url, await superuserToken(hearth, request), ...ANN);
  const contexts = await Promise.all([0, 1, 2].map(() => mediaContext(browser, hearth.url)));
  const [ann, bob, cara] = await Promise.all(contexts.map((c) => c.newPage()));
  const people = { Ann: ann!, Bob: bob!, Cara: cara! };

  const url = await startMeeting(ann!, hearth.url, ANN, { password: PASSWORD });
  // The host needs no password.
  await expect(ann!.getByText('You are a host of this meeting.')).toBeVisible();
  await join(ann!, 'Ann');
  await expect(tile(ann!, 'Ann (you)')).toBeVisible();
  await ann!.getByRole('button', { name: 'Chat' }).click();
  await ann!.getByRole('textbox', { name: 'Message' }).fill('Welcome, everyone');
  await ann!.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(ann!.getByRole('log', { name: 'Messages' })).toContainText('Welcome, everyone');

  // A wrong password is refused at the door; the right one lets Bob in.
  await bob!.goto(url);
  await join(bob!, 'Bob', 'not the password');
  await expect(bob!.getByRole('alert').filter({ hasText: 'Wrong password.' })).toBeVisible();
  await expect(tile(ann!, 'Bob')).toHaveCount(0);
  await join(bob!, 'Bob', PASSWORD);
  await cara!.goto(url);
  await join(cara!, 'Cara', PASSWORD);

  // Everyone decodes the other two's video and receives their audio.
  for (const [self, page] of Object.entries(people)) {
    for (const other of Object.keys(people).filter((n) => n !== self)) {
      await expect
        .poll(async () => (await received(page, other)).framesDecoded, {
          message: `${self} decodes ${other}'s video`,
          timeout: 20_000,
        })
        .toBeGreaterThan(0);
      await expect
        .poll(async () => (await received(page, other)).audioEnergy, {
          message: `${self} hears ${other}`,
          timeout: 20_000,
        })
        .toBeGreaterThan(0);
    }
  }

  // The fake microphones beep every second: each beep lights its person's tile for the others.
  await expect(tile(ann!, 'Cara')).toHaveAttribute('data-speaking', 'true', { timeout: 10_000 });
  await expect(tile(ann!, 'Ann (you)')).toHaveAttribute('data-speaking', 'true', { timeout: 10_000 });

  // The late joiner reads the chat from before she came.
  await cara!.getByRole('button', { name: 'Chat' }).click();
  await expect(cara!.getByRole('log', { name: 'Messages' })).toContainText('Welcome, everyone');

  // Ann mutes: the others are told, and her audio stops while Cara's goes on.
  const annMic = ann!.getByRole('button', { name: 'Microphone' });
  await expect(annMic).toHaveAttribute('aria-pressed', 'true');
  await annMic.click();
  await expect(annMic).toHaveAttribute('aria-pressed', 'false');
  await expect(tile(bob!, 'Ann').getByText('Microphone off')).toBeVisible();
  await bob!.waitForTimeout(1000); // what was already in flight plays out
  const before = { ann: await received(bob!, 'Ann'), cara: await received(bob!, 'Cara') };
  await bob!.waitForTimeout(3000); // three beeps of the fake microphone
  const after = { ann: await received(bob!, 'Ann'), cara: await received(bob!, 'Cara') };
  expect(after.ann.audioEnergy - before.ann.audioEnergy).toBeLessThan(1e-6);
  expect(after.cara.audioEnergy - before.cara.audioEnergy).toBeGreaterThan(1e-6);

  // Bob shares his screen: the others see it (a 1280-wide picture in place of his camera).
  const cameraWidth = (await received(ann!, 'Bob')).frameWidth;
  await bob!.getByRole('button', { name: 'Share screen' }).click();
  await expect(bob!.getByRole('button', { name: 'Share screen' })).toHaveAttribute('aria-pressed', 'true');
  for (const page of [ann!, cara!]) {
    await expect(tile(page, 'Bob').getByText('Sharing their screen')).toBeVisible();
    await expect
      .poll(async () => (await received(page, 'Bob')).frameWidth, { timeout: 20_000 })
      .not.toBe(cameraWidth);
  }
  const frames = (await received(cara!, 'Bob')).framesDecoded;
  await expect.poll(async () => (await received(cara!, 'Bob')).framesDecoded).toBeGreaterThan(frames);

  // Chat reaches everyone.
  await cara!.getByRole('textbox', { name: 'Message' }).fill('Hello from Cara');
  await cara!.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(ann!.getByRole('log', { name: 'Messages' })).toContainText('Hello from Cara');
  await bob!.getByRole('button', { name: 'Chat' }).click();
  await expect(bob!.getByRole('log', { name: 'Messages' })).toContainText('Hello from Cara');

  expect(await accessibilityProblems(ann!)).toEqual([]);

  // Cara leaves: the others' grids lose her tile.
  await cara!.getByRole('button', { name: 'Leave' }).click();
  await expect(cara!.getByRole('heading', { name: 'You left the meeting' })).toBeVisible();
  await expect(tile(ann!, 'Cara')).toHaveCount(0);
  await expect(tile(bob!, 'Cara')).toHaveCount(0);
  await expect(tile(ann!, 'Bob')).toBeVisible();

  await Promise.all(contexts.map((c) => c.close()));
});
