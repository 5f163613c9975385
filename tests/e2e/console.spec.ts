import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import PocketBase, { ClientResponseError } from 'pocketbase';
import { expect, SUPERUSER, superuserToken, test } from './fixtures';

/**
 * The admin console at /_/ in Chromium against a real Hearth: who may open it, building a
 * collection, records with a file, the filter box, rules that bite an anonymous SDK client, and a
 * setting that takes effect. Elements are found by role and accessible name.
 */

async function signIn(page: Page, path = '/_/collections'): Promise<void> {
  await page.goto(path);
  await expect(page.getByRole('heading', { name: 'Sign in to the console' })).toBeVisible();
  await page.getByLabel('Email').fill(SUPERUSER.email);
  await page.getByLabel('Password').fill(SUPERUSER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('navigation', { name: 'Console' })).toBeVisible();
}

/** PocketBase's refusal, or null when the call went through. */
async function refusal(call: Promise<unknown>): Promise<number | null> {
  try {
    await call;
    return null;
  } catch (err) {
    if (err instanceof ClientResponseError) return err.status;
    throw err;
  }
}

const CONSOLE_PAGES = ['/_/collections', '/_/collections/new', '/_/settings', '/_/logs', '/_/migrations'];

test('anonymous visitors and signed-in users see only the sign-in form, and the API refuses them', async ({
  page,
  hearth,
  request,
}) => {
  // Before the first superuser exists, the console points to first-run setup.
  await page.goto('/_/');
  await expect(page).toHaveURL(/\/_\/collections$/);
  await expect(page.getByText('This Hearth has no superuser yet.', { exact: false })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Set up Hearth' })).toHaveAttribute('href', '/setup');

  const token = await superuserToken(hearth, request);
  const admin = new PocketBase(hearth.url);
  admin.authStore.save(token, null);
  const users = admin.collection('users');
  const user = await users.create({
    email: 'user@example.com',
    password: 'user pass 1234',
    passwordConfirm: 'user pass 1234',
  });

  const anonymous = new PocketBase(hearth.url);
  const member = new PocketBase(hearth.url);
  await member.collection('users').authWithPassword('user@example.com', 'user pass 1234');
  expect(member.authStore.record?.id).toBe(user.id);

  for (const [client, status] of [
    [anonymous, 401],
    [member, 403],
  ] as const) {
    expect(await refusal(client.collections.getFullList())).toBe(status);
    expect(await refusal(client.settings.getAll())).toBe(status);
    expect(await refusal(client.logs.getList())).toBe(status);
    expect(await refusal(client.send('/api/hearth/migrations', {}))).toBe(status);
    expect(await refusal(client.collections.create({ name: 'sneaky', type: 'base' }))).toBe(status);
  }

  // Anonymous: every console page shows the sign-in form and nothing of the console.
  for (const path of CONSOLE_PAGES) {
    await page.goto(path);
    await expect(page.getByRole('heading', { name: 'Sign in to the console' })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Console' })).toHaveCount(0);
  }

  // A user signed in to the apps is not signed in to the console, and cannot sign in to it.
  await page.goto('/');
  await page.evaluate(
    ([key, value]) => localStorage.setItem(key!, value!),
    ['pocketbase_auth', JSON.stringify({ token: member.authStore.token, record: member.authStore.record })],
  );
  await page.reload();
  await expect(page.getByText('Signed in as user@example.com')).toBeVisible();
  for (const path of CONSOLE_PAGES) {
    await page.goto(path);
    await expect(page.getByRole('heading', { name: 'Sign in to the console' })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Console' })).toHaveCount(0);
  }
  await page.getByLabel('Email').fill('user@example.com');
  await page.getByLabel('Password').fill('user pass 1234');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Console' })).toHaveCount(0);
});

test('a superuser builds a collection and tightens a rule that an anonymous SDK client then meets', async ({
  page,
  hearth,
  request,
}) => {
  await superuserToken(hearth, request);
  await signIn(page);

  await page.getByRole('link', { name: 'New collection' }).click();
  await expect(page.getByRole('heading', { name: 'New collection' })).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill('posts');

  const addField = async (type: string, name: string) => {
    await page.getByLabel('New field type').selectOption({ label: type });
    await page.getByRole('button', { name: 'Add field' }).click();
    const field = page.getByLabel('Field name').last();
    await expect(field).toBeFocused();
    await field.fill(name);
  };
  await addField('Text', 'title');
  await addField('Number', 'score');
  await addField('Relation', 'author');
  await page
    .getByRole('group', { name: /author/ })
    .getByLabel('Collection')
    .selectOption({ label: 'users' });
  await addField('File', 'attachment');

  // The rule is checked by the server as it is typed, against the fields as they will be.
  const listRule = page.getByRole('textbox', { name: 'List/Search rule' });
  await page.getByRole('checkbox', { name: 'List/Search rule: superusers only' }).uncheck();
  await listRule.fill('nope = 1');
  await expect(listRule).toHaveAttribute('aria-invalid', 'true');
  await expect(listRule).toHaveAccessibleDescription(/nope/);
  await listRule.fill('score > 5');
  await expect(listRule).not.toHaveAttribute('aria-invalid', 'true');

  await page.getByRole('button', { name: 'Create collection' }).click();
  await expect(page).toHaveURL(/\/_\/collections\/pbc_\d+$/);

  const anonymous = new PocketBase(hearth.url);
  const admin = new PocketBase(hearth.url);
  await admin.collection('_superusers').authWithPassword(SUPERUSER.email, SUPERUSER.password);
  const posts = await admin.collections.getOne('posts');
  expect(posts.fields.map((f) => [f.name, f.type])).toEqual([
    ['id', 'text'],
    ['title', 'text'],
    ['score', 'number'],
    ['author', 'relation'],
    ['attachment', 'file'],
  ]);
  expect(posts.listRule).toBe('score > 5');
  await admin.collection('posts').create({ title: 'low', score: 1 });
  await admin.collection('posts').create({ title: 'high', score: 9 });
  expect((await anonymous.collection('posts').getFullList()).map((r) => r['title'])).toEqual(['high']);

  // Lock the rule again in the editor: now the anonymous client is refused.
  await page.goto(`/_/collections/${posts.id}/schema`);
  await page.getByRole('checkbox', { name: 'List/Search rule: superusers only' }).check();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Collection posts saved.' })).toBeVisible();
  expect(await refusal(anonymous.collection('posts').getFullList())).toBe(403);
  expect((await admin.collections.getOne('posts')).listRule).toBeNull();
});

test('a collection is deleted only after a confirmation that names it', async ({ page, hearth, request }) => {
  const token = await superuserToken(hearth, request);
  const admin = new PocketBase(hearth.url);
  admin.authStore.save(token, null);
  const memos = await admin.collections.create({
    name: 'memos',
    type: 'base',
    fields: [{ name: 'text', type: 'text' }],
  });
  await signIn(page, `/_/collections/${memos.id}/schema`);

  await page.getByRole('button', { name: 'Delete collection' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete memos?' });
  await expect(dialog).toContainText('all of its records');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  expect((await admin.collections.getOne('memos')).id).toBe(memos.id);

  await page.getByRole('button', { name: 'Delete collection' }).click();
  await dialog.getByRole('button', { name: 'Delete collection' }).click();
  await expect(page).toHaveURL(/\/_\/collections$/);
  expect(await refusal(admin.collections.getOne('memos'))).toBe(404);
});

test('collections export and import as JSON', async ({ page, hearth, request }) => {
  const token = await superuserToken(hearth, request);
  const admin = new PocketBase(hearth.url);
  admin.authStore.save(token, null);
  await admin.collections.create({ name: 'tasks', type: 'base', fields: [{ name: 'title', type: 'text' }] });
  await signIn(page);

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export' }).click();
  const file = await (await download).path();
  const { readFileSync } = await import('node:fs');
  const exported = JSON.parse(readFileSync(file, 'utf8')) as { name: string; fields: unknown[] }[];
  expect(exported.map((c) => c.name)).toContain('tasks');

  const tasks = exported.find((c) => c.name === 'tasks')!;
  const imported = [
    { ...tasks, fields: [...tasks.fields, { name: 'done', type: 'bool' }] },
    { name: 'tags', type: 'base', fields: [] },
  ];
  await page.getByRole('button', { name: 'Import' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import collections' });
  await dialog.getByLabel('Or paste the JSON').fill('{ not json');
  await expect(dialog.getByText('This is not valid JSON.')).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Import' })).toBeDisabled();
  await dialog.getByLabel('Or paste the JSON').fill(JSON.stringify(imported));
  await expect(dialog.getByText('1 new: tags')).toBeVisible();
  await expect(dialog.getByText('1 changed: tasks')).toBeVisible();
  await dialog.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('link', { name: 'tags', exact: true })).toBeVisible();
  expect((await admin.collections.getOne('tasks')).fields.map((f) => f.name)).toContain('done');
});

test('records: add one with a file and a relation, then filter the grid', async ({
  page,
  hearth,
  request,
}) => {
  const token = await superuserToken(hearth, request);
  const admin = new PocketBase(hearth.url);
  admin.authStore.save(token, null);
  const author = await admin
    .collection('users')
    .create({ email: 'ada@example.com', password: 'ada password 1', passwordConfirm: 'ada password 1' });
  const users = await admin.collections.getOne('users');
  const posts = await admin.collections.create({
    name: 'posts',
    type: 'base',
    fields: [
      { name: 'title', type: 'text' },
      { name: 'score', type: 'number' },
      { name: 'author', type: 'relation', collectionId: users.id, maxSelect: 1 },
      { name: 'attachment', type: 'file', maxSelect: 1 },
    ],
  });
  for (let i = 1; i <= 3; i++) await admin.collection('posts').create({ title: `seed ${i}`, score: i });
  await signIn(page, `/_/collections/${posts.id}`);

  const grid = page.getByRole('table', { name: 'Records of posts' });
  await expect(grid.getByRole('row')).toHaveCount(4); // the header and three records

  await page.getByRole('button', { name: 'New record' }).click();
  const editor = page.getByRole('dialog', { name: 'New posts record' });
  await editor.getByLabel('title', { exact: true }).fill('with a file');
  await editor.getByLabel('score', { exact: true }).fill('42');
  await editor.getByRole('button', { name: 'Choose author' }).click();
  const picker = page.getByRole('dialog', { name: 'Choose users records' });
  await picker.getByRole('textbox', { name: 'Search' }).fill('ada');
  await picker.getByRole('radio', { name: /ada@example\.com/ }).check();
  await picker.getByRole('button', { name: 'Done' }).click();
  await editor.getByLabel('attachment', { exact: true }).setInputFiles({
    name: 'notes.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('hello from the console'),
  });
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor).toBeHidden();

  const saved = await admin.collection('posts').getFirstListItem('title = "with a file"');
  expect(saved['score']).toBe(42);
  expect(saved['author']).toBe(author.id);
  expect(saved['attachment']).toMatch(/^notes_\w+\.txt$/);
  const file = await fetch(admin.files.getURL(saved, saved['attachment'] as string));
  expect(await file.text()).toBe('hello from the console');
  await expect(grid.getByRole('row')).toHaveCount(5);

  // The filter box speaks PocketBase's grammar; a bad filter is explained and the rows stay.
  const filter = page.getByRole('textbox', { name: 'Filter' });
  await filter.fill('score >');
  await filter.press('Enter');
  await expect(filter).toHaveAttribute('aria-invalid', 'true');
  await expect(grid.getByRole('row')).toHaveCount(5);
  await filter.fill('score > 2');
  await filter.press('Enter');
  await expect(filter).not.toHaveAttribute('aria-invalid', 'true');
  await expect(grid.getByRole('row')).toHaveCount(3);
  await expect(grid).toContainText('with a file');
  await expect(grid).toContainText('seed 3');
  await expect(grid).not.toContainText('seed 1');

  // A record created elsewhere shows up without a reload (realtime).
  await admin.collection('posts').create({ title: 'from elsewhere', score: 7 });
  await expect(grid).toContainText('from elsewhere');
});

test('a setting changed in the console takes effect at once', async ({ page, hearth, request }) => {
  const token = await superuserToken(hearth, request);
  const admin = new PocketBase(hearth.url);
  admin.authStore.save(token, null);
  await admin.collections.create({
    name: 'items',
    type: 'base',
    createRule: '',
    fields: [{ name: 'n', type: 'number' }],
  });
  const batch = () => {
    const b = new PocketBase(hearth.url).createBatch();
    b.collection('items').create({ n: 1 });
    return b.send();
  };
  expect(await refusal(batch())).toBe(403); // batch requests are off by default

  await signIn(page, '/_/settings');
  const allow = page.getByRole('checkbox', { name: 'Allow batch requests' });
  await expect(allow).not.toBeChecked();
  await allow.check();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('status').filter({ hasText: /saved/i })).toBeVisible();

  expect(await refusal(batch())).toBeNull();
  expect((await admin.settings.getAll())['batch']).toMatchObject({ enabled: true });
});

test('the console can be used with the keyboard alone', async ({ page, hearth, request }) => {
  await superuserToken(hearth, request);
  await page.goto('/_/collections');
  await expect(page.getByRole('heading', { name: 'Sign in to the console' })).toBeVisible();

  const focusBy = async (target: ReturnType<Page['getByRole']>, max = 30) => {
    for (let i = 0; i < max && !(await target.evaluate((el) => el === document.activeElement)); i++) {
      await page.keyboard.press('Tab');
    }
    await expect(target).toBeFocused();
  };
  await focusBy(page.getByLabel('Email'));
  await page.keyboard.type(SUPERUSER.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(SUPERUSER.password);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('navigation', { name: 'Console' })).toBeVisible();

  // Every page of the menu is reachable by Tab and Enter.
  for (const name of ['Logs', 'Settings', 'Migrations', 'Collections']) {
    await focusBy(page.getByRole('link', { name, exact: true }));
    await page.keyboard.press('Enter');
    await expect(page.getByRole('link', { name, exact: true })).toHaveAttribute('aria-current', 'page');
  }
  // From the collections list into the editor and back out with Escape-free keyboard steps.
  await focusBy(page.getByRole('link', { name: 'New collection' }));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'New collection' })).toBeVisible();
  await focusBy(page.getByRole('button', { name: 'Add field' }), 60);
  await page.keyboard.press('Enter');
  await expect(page.getByLabel('Field name').last()).toBeFocused();
});

test('axe finds no serious or critical problems on the main console pages', async ({
  page,
  hearth,
  request,
}) => {
  // Ten pages scanned one after another: about 20 s alone, more on a busy machine.
  test.setTimeout(90_000);
  const token = await superuserToken(hearth, request);
  const admin = new PocketBase(hearth.url);
  admin.authStore.save(token, null);
  const tasks = await admin.collections.create({
    name: 'tasks',
    type: 'base',
    fields: [
      { name: 'title', type: 'text' },
      { name: 'done', type: 'bool' },
    ],
  });
  await admin.collection('tasks').create({ title: 'one', done: true });
  const users = await admin.collections.getOne('users');
  await admin
    .collection('users')
    .create({ email: 'ada@example.com', password: 'ada password 1', passwordConfirm: 'ada password 1' });

  const scan = async (what: string) => {
    const { violations } = await new AxeBuilder({ page }).analyze();
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(
      bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
      what,
    ).toEqual([]);
  };

  await page.goto('/_/collections');
  await expect(page.getByRole('heading', { name: 'Sign in to the console' })).toBeVisible();
  await scan('sign-in');
  await signIn(page);
  await expect(page.getByRole('link', { name: 'tasks', exact: true })).toBeVisible();
  await scan('collections');
  const pages: [string, () => Promise<void>][] = [
    [
      `/_/collections/${tasks.id}`,
      () => expect(page.getByRole('table', { name: 'Records of tasks' })).toContainText('one'),
    ],
    [
      `/_/collections/${users.id}`,
      () => expect(page.getByRole('table', { name: 'Records of users' })).toContainText('ada@example.com'),
    ],
    [
      `/_/collections/${tasks.id}/schema`,
      () => expect(page.getByRole('heading', { name: 'Collection tasks' })).toBeVisible(),
    ],
    ['/_/collections/new', () => expect(page.getByRole('button', { name: 'Add field' })).toBeVisible()],
    ['/_/settings', () => expect(page.getByRole('button', { name: 'Save changes' })).toBeVisible()],
    ['/_/logs', () => expect(page.getByRole('textbox', { name: 'Filter' })).toBeVisible()],
    ['/_/migrations', () => expect(page.getByRole('table').first()).toBeVisible()],
  ];
  for (const [path, ready] of pages) {
    await page.goto(path);
    await ready();
    await scan(path);
  }
  // The dark theme has its own colours to get right.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(`/_/collections/${users.id}`);
  await expect(page.getByRole('table', { name: 'Records of users' })).toContainText('ada@example.com');
  await scan('records (dark)');
  await page.emulateMedia({ colorScheme: 'light' });
  // A dialog open: the record editor.
  await page.goto(`/_/collections/${tasks.id}`);
  await page.getByRole('button', { name: 'New record' }).click();
  await expect(page.getByRole('dialog', { name: 'New tasks record' })).toBeVisible();
  await scan('record editor');
});

test('the request log lists requests with their status, and "Errors only" keeps the failures', async ({
  page,
  hearth,
  request,
}) => {
  await superuserToken(hearth, request);
  const anonymous = new PocketBase(hearth.url);
  expect(await refusal(anonymous.collection('missing_collection').getList())).toBe(404);
  await anonymous.collection('users').listAuthMethods();
  await signIn(page, '/_/logs');

  const log = page.getByRole('table', { name: 'Log entries, newest first' });
  await expect(log).toContainText('/api/collections/missing_collection/records');
  await expect(log).toContainText('/api/collections/users/auth-methods');
  await expect(page.getByRole('img', { name: /Requests and errors per hour/ })).toBeVisible();

  await page.getByRole('checkbox', { name: 'Errors only' }).check();
  await expect(log).toContainText('/api/collections/missing_collection/records');
  await expect(log).not.toContainText('/api/collections/users/auth-methods');

  const filter = page.getByRole('textbox', { name: 'Filter' });
  await filter.fill('data.status =');
  await filter.press('Enter');
  await expect(filter).toHaveAttribute('aria-invalid', 'true');
  await filter.fill('data.method = "GET"');
  await filter.press('Enter');
  await expect(filter).not.toHaveAttribute('aria-invalid', 'true');
  await expect(log).toContainText('/api/collections/missing_collection/records');
});

test('the migrations page lists every applied migration with its UTC times', async ({
  page,
  hearth,
  request,
}) => {
  const token = await superuserToken(hearth, request);
  const res = await request.get('/api/hearth/migrations', { headers: { Authorization: token } });
  const { applied } = (await res.json()) as { applied: { id: string; capability: string }[] };
  expect(applied.length).toBeGreaterThan(0);
  await signIn(page, '/_/migrations');
  for (const m of applied) await expect(page.getByRole('main')).toContainText(m.id.split('/')[1]!);
  await expect(page.getByText(`${applied.length} applied, 0 pending, 0 unknown.`)).toBeVisible();
});

test('users: mark verified and impersonate from the records grid', async ({ page, hearth, request }) => {
  const token = await superuserToken(hearth, request);
  const admin = new PocketBase(hearth.url);
  admin.authStore.save(token, null);
  const ada = await admin
    .collection('users')
    .create({ email: 'ada@example.com', password: 'ada password 1', passwordConfirm: 'ada password 1' });
  expect(ada['verified']).toBe(false);
  await signIn(page, '/_/collections/users');

  await page.getByRole('button', { name: 'Actions for ada@example.com' }).click();
  await page.getByRole('button', { name: 'Mark verified' }).click();
  await expect.poll(async () => (await admin.collection('users').getOne(ada.id))['verified']).toBe(true);

  await page.getByRole('button', { name: 'Actions for ada@example.com' }).click();
  await page.getByRole('button', { name: 'Impersonate', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: /Impersonate/ });
  await dialog.getByRole('button', { name: 'Create token' }).click();
  const issued = await dialog.getByRole('textbox', { name: 'Token' }).inputValue();
  const asAda = new PocketBase(hearth.url);
  asAda.authStore.save(issued, null);
  expect((await asAda.collection('users').getOne(ada.id)).email).toBe('ada@example.com');
});

test('renaming a field renames it in the indexes; removing one asks first', async ({
  page,
  hearth,
  request,
}) => {
  const token = await superuserToken(hearth, request);
  const admin = new PocketBase(hearth.url);
  admin.authStore.save(token, null);
  const tasks = await admin.collections.create({
    name: 'tasks',
    type: 'base',
    fields: [
      { name: 'title', type: 'text' },
      { name: 'notes', type: 'text' },
    ],
    indexes: ['CREATE INDEX idx_tasks_title ON tasks (title)'],
  });
  await admin.collection('tasks').create({ title: 'kept', notes: 'gone soon' });
  await signIn(page, `/_/collections/${tasks.id}/schema`);

  const title = page.getByLabel('Field name').nth(1); // after the system id field
  await expect(title).toHaveValue('title');
  await title.fill('heading');
  await title.press('Tab');
  await expect(page.getByRole('textbox', { name: 'Index 1' })).toHaveValue(/\(heading\)/);

  await page.getByRole('button', { name: 'Remove field notes' }).click();
  await page.getByRole('button', { name: 'Save changes' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete a field?' });
  await expect(dialog).toContainText('notes');
  await dialog.getByRole('button', { name: 'Delete the field and save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Collection tasks saved.' })).toBeVisible();

  const saved = await admin.collections.getOne('tasks');
  expect(saved.fields.map((f) => f.name)).toEqual(['id', 'heading']);
  expect(saved.indexes).toEqual(['CREATE INDEX "idx_tasks_title" ON "tasks" (heading)']);
  expect((await admin.collection('tasks').getFirstListItem(''))['heading']).toBe('kept');
});
