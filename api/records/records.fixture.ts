import { saveCollection } from '../collections/collections.service';
import type { Hearth } from '../main';
import { recordHeaders, SUPERUSER_REQUEST, withSuperuser } from '../testing/hearth';
import { createRecord } from './records.service';

/** The records API fixture the scenario tables share: users, posts with rules, comments, wallets. */
export const ALICE = 'alice0000000001';
export const BOB = 'bob000000000001';
export const WALLET = 'wallet000000001';

export async function fixture(h: Hearth): Promise<void> {
  await withSuperuser(h);
  const users = h.collections.find('users')!;
  for (const [id, email] of [
    [ALICE, 'alice@example.com'],
    [BOB, 'bob@example.com'],
  ] as const) {
    const password = `${id}-password`;
    await createRecord(
      h,
      users,
      { id, email, password, passwordConfirm: password, name: id },
      SUPERUSER_REQUEST,
    );
  }
  saveCollection(h, {
    name: 'posts',
    fields: [
      { name: 'title', type: 'text', required: true, max: 100 },
      { name: 'secret', type: 'text', hidden: true },
      { name: 'status', type: 'select', values: ['draft', 'published'], maxSelect: 1 },
      { name: 'views', type: 'number' },
      { name: 'author', type: 'relation', collectionId: 'users', maxSelect: 1 },
      { name: 'tags', type: 'select', values: ['a', 'b', 'c'], maxSelect: 3 },
    ],
    listRule: 'status = "published" || author = @request.auth.id',
    viewRule: 'status = "published" || author = @request.auth.id',
    createRule: '@request.auth.id != "" && author = @request.auth.id',
    updateRule: 'author = @request.auth.id',
    deleteRule: null,
  });
  saveCollection(h, {
    name: 'comments',
    fields: [
      { name: 'post', type: 'relation', collectionId: 'posts', maxSelect: 1, cascadeDelete: true },
      { name: 'message', type: 'text' },
    ],
    listRule: '',
    viewRule: '',
  });
  saveCollection(h, {
    name: 'wallets',
    fields: [
      { name: 'owner', type: 'relation', collectionId: 'users', maxSelect: 1 },
      { name: 'guardian', type: 'relation', collectionId: 'users', maxSelect: 1, hidden: true },
      { name: 'note', type: 'text', hidden: true },
      { name: 'balance', type: 'number' },
      { name: 'since', type: 'date' },
    ],
    listRule: '',
    viewRule: '',
    createRule: 'owner = @request.auth.id && @request.body.balance:isset = false',
    updateRule: 'owner = @request.auth.id && @request.body.balance:isset = false',
  });
  await createRecord(
    h,
    h.collections.find('wallets')!,
    { id: WALLET, owner: ALICE, guardian: ALICE, balance: 10, note: 'server only' },
    SUPERUSER_REQUEST,
  );
  saveCollection(h, {
    name: 'profiles',
    fields: [
      { name: 'user', type: 'relation', collectionId: 'users', maxSelect: 1 },
      { name: 'bio', type: 'text' },
    ],
    indexes: ['CREATE UNIQUE INDEX idx_profiles_user ON profiles (user)'],
    listRule: '',
    viewRule: '',
  });
  await createRecord(h, h.collections.find('profiles')!, { user: ALICE, bio: 'hi' }, SUPERUSER_REQUEST);
  const posts = h.collections.find('posts')!;
  const comments = h.collections.find('comments')!;
  const post = (id: string, title: string, status: string, author: string, views: number) =>
    createRecord(
      h,
      posts,
      { id, title, status, author, views, secret: 's3cret', tags: ['a', 'b'] },
      SUPERUSER_REQUEST,
    );
  await post('post00000000001', 'Hello <b>world</b> of posts', 'published', ALICE, 10);
  await post('post00000000002', 'Alice draft', 'draft', ALICE, 5);
  await post('post00000000003', 'Bob public', 'published', BOB, 7);
  await createRecord(
    h,
    comments,
    { id: 'comment00000001', post: 'post00000000001', message: 'first!' },
    SUPERUSER_REQUEST,
  );
}

export const alice = (h: Hearth) => recordHeaders(h, 'users', ALICE);
export const count = (h: Hearth, table: string) =>
  h.db.sql.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as number;
