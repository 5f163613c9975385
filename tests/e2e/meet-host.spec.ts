import type { Page } from '@playwright/test';
import PocketBase from 'pocketbase';
import { superuserToken, expect, test } from './fixtures';
import { accessibilityProblems } from './helpers';
import { createUser, join, MEDIA_LAUNCH, mediaContext, startMeeting, tile } from './meet-helpers';

/**
 * Meet's host controls (issue 8) across two browsers: the lobby (admit, deny), muting someone,
 * locking the meeting against newcomers, and removing someone — each seen by the person it is done
 * to. The controls are reached by keyboard where it matters.
 */
test.use({ launchOptions: MEDIA_LAUNCH });

const ANN = ['ann@example.com', 'ann password 12'] as const;

/** The labels of the live tracks the page sends (audio, video; '' for none), over its connections. */
function sentTrackLabels(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const open = (window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections.filter(
      (pc) => pc.connectionState !== 'closed',
    );
    return ['audio', 'video'].map((kind) =>
      open
        .flatMap((pc) => pc.getTransceivers())
        .filter((t) => t.mid !== null && t.receiver.track.kind === kind)
        .map((t) => (t.sender.track?.readyState === 'live' ? t.sender.track.label : ''))
        .join(','),
    );
  });
}

test('a host admits and denies at the lobby, mutes, locks the meeting and removes someone; a full meeting says so', async ({
  browser,
  hearth,
  request,
}) => {
  test.setTimeout(120_000);
  const superuser = await superuserToken(hearth, request);
  await createUser(hearth.url, superuser, ...ANN);
  const contexts = await Promise.all([0, 1, 2].map(() => mediaContext(browser, hearth.url)));
  const pages = await Promise.all(contexts.map((c) => c.newPage()));
  const [ann, bob, dan] = [pages[0]!, pages[1]!, pages[2]!];
  const url = await startMeeting(ann, hearth.url, ANN, { lobby: true });
  expect(await accessibilityProblems(ann)).toEqual([]);
  await join(ann, 'Ann');
  await expect(tile(ann, 'Ann (you)')).toBeVisible();

  // Dan waits at the lobby and is denied.
  await dan.goto(url);
  await expect(dan.getByText('A host lets you in after you join.')).toBeVisible();
  expect(await accessibilityProblems(dan)).toEqual([]);
  await join(dan, 'Dan');
  await expect(dan.getByRole('heading', { name: 'Waiting to be let in' })).toBeVisible();
  await ann.getByRole('button', { name: 'People' }).click();
  await ann.getByRole('button', { name: 'Deny Dan' }).click();
  await expect(dan.getByRole('alert')).toHaveText('A host did not let you in.');

  // Bob waits and is let in.
  // Bob picks another microphone before joining; it is the one the call gets.
  await bob.goto(url);
  const microphones = bob.getByRole('combobox', { name: 'Microphone' });
  await expect(microphones.getByRole('option')).toHaveCount(3); // Chromium's three fake inputs
  await microphones.selectOption({ label: 'Fake Audio Input 1' });
  await join(bob, 'Bob');
  await expect(bob.getByRole('heading', { name: 'Waiting to be let in' })).toBeVisible();
  await ann.getByRole('button', { name: 'Let Bob in' }).click();
  await expect(tile(bob, 'Ann')).toBeVisible();
  await expect(tile(ann, 'Bob')).toBeVisible();
  await expect.poll(() => sentTrackLabels(bob)).toEqual(['Fake Audio Input 1', 'fake_device_0']);

  // Bob turns his camera off: his tile shows his initial to Ann, and his camera is released.
  await bob.getByRole('button', { name: 'Camera' }).click();
  await expect(tile(ann, 'Bob').locator('video')).toBeHidden();
  await expect.poll(() => sentTrackLabels(bob)).toEqual(['Fake Audio Input 1', '']);
  await bob.getByRole('button', { name: 'Camera' }).click();
  await expect(tile(ann, 'Bob').locator('video')).toBeVisible();
  await expect.poll(() => sentTrackLabels(bob)).toEqual(['Fake Audio Input 1', 'fake_device_0']);

  // Pinning makes Bob's tile the large one; full screen takes the whole call.
  await ann.getByRole('button', { name: 'Pin Bob' }).click();
  await expect(ann.getByRole('button', { name: 'Pin Bob' })).toHaveAttribute('aria-pressed', 'true');
  const pinned = (await tile(ann, 'Bob').boundingBox())!;
  const small = (await tile(ann, 'Ann (you)').boundingBox())!;
  expect(pinned.width * pinned.height).toBeGreaterThan(4 * small.width * small.height);
  await ann.getByRole('button', { name: 'Pin Bob' }).click();
  await ann.getByRole('button', { name: 'Full screen' }).click();
  await expect(ann.getByRole('button', { name: 'Full screen' })).toHaveAttribute('aria-pressed', 'true');
  expect(await ann.evaluate(() => document.fullscreenElement?.getAttribute('aria-label'))).toMatch(
    /^Meeting /,
  );
  await ann.getByRole('button', { name: 'Full screen' }).click();
  await expect(ann.getByRole('button', { name: 'Full screen' })).toHaveAttribute('aria-pressed', 'false');

  // Ann mutes Bob: his microphone turns off in his own browser, and everyone sees it.
  const bobMic = bob.getByRole('button', { name: 'Microphone' });
  await expect(bobMic).toHaveAttribute('aria-pressed', 'true');
  await ann.getByRole('button', { name: 'Mute Bob' }).click();
  await expect(bobMic).toHaveAttribute('aria-pressed', 'false');
  await expect(tile(ann, 'Bob').getByText('Microphone off')).toBeVisible();
  // Bob turns it back on from the keyboard (M), with the focus outside any text field.
  await bob.getByRole('button', { name: 'Camera' }).focus();
  await bob.keyboard.press('m');
  await expect(bobMic).toHaveAttribute('aria-pressed', 'true');
  await expect(tile(ann, 'Bob').getByText('Microphone off')).toHaveCount(0);

  // Locked: Dan, trying again, is refused at the door.
  await ann.getByRole('checkbox', { name: /Lock the meeting/ }).check();
  await expect(bob.getByText('Locked', { exact: true })).toBeVisible();
  await dan.getByRole('button', { name: 'Rejoin' }).click();
  await join(dan, 'Dan');
  await expect(dan.getByRole('alert').filter({ hasText: 'This meeting is locked.' })).toBeVisible();

  // Unlocked but full (meet.maxPeers lowered to 2): the third person is told so, with the number.
  await ann.getByRole('checkbox', { name: /Lock the meeting/ }).uncheck();
  await expect(bob.getByText('Locked', { exact: true })).toHaveCount(0);
  const admin = new PocketBase(hearth.url);
  admin.authStore.save(superuser, null);
  await admin.settings.update({ meet: { maxPeers: 2 } });
  await join(dan, 'Dan');
  await expect(
    dan.getByRole('alert').filter({ hasText: 'This meeting is full: it holds 2 people.' }),
  ).toBeVisible();

  // Removed: Bob is told, and Ann's grid loses him.
  await ann.getByRole('button', { name: 'Remove Bob' }).click();
  await expect(bob.getByRole('alert')).toHaveText('A host removed you from the meeting.');
  await expect(tile(ann, 'Bob')).toHaveCount(0);

  await Promise.all(contexts.map((c) => c.close()));
});
