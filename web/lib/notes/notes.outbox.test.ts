import { describe, expect, test } from 'vitest';
import { Outbox, type SealedSave, type SendResult } from './notes.outbox';
import { memoryStorage } from './testing';

const save = (id: string, version: number): SealedSave => ({ id, version, ciphertext: `AQ${id}${version}` });

describe('Outbox', () => {
  test('sends in order; retries with growing pauses while unreachable; nothing is dropped', async () => {
    const results: SendResult[] = ['retry', 'retry', 'stored', 'stored'];
    const sent: string[] = [];
    const pauses: number[] = [];
    const box = new Outbox(
      memoryStorage(),
      'u1',
      async (s) => {
        sent.push(`${s.id}@${s.version}`);
        return results.shift()!;
      },
      async (ms) => void pauses.push(ms),
    );
    void box.add(save('a', 2));
    await box.add(save('b', 5));
    expect(sent).toEqual(['a@2', 'a@2', 'a@2', 'b@5']);
    expect(pauses).toEqual([1000, 2000]);
    expect(box.waiting).toBe(0);
  });

  test('a network error counts as "try again", not as a loss', async () => {
    let calls = 0;
    const box = new Outbox(
      null,
      'u1',
      async () => {
        if (calls++ === 0) throw new TypeError('Failed to fetch');
        return 'stored';
      },
      async () => undefined,
    );
    await box.add(save('a', 2));
    expect(calls).toBe(2);
  });

  test('refused saves are set aside and handed over once, across a reload', async () => {
    const storage = memoryStorage();
    const box = new Outbox(
      storage,
      'u1',
      async () => 'refused',
      async () => undefined,
    );
    await box.add(save('a', 2));
    const reloaded = new Outbox(storage, 'u1', async () => 'stored');
    expect(reloaded.takeRefused()).toEqual([save('a', 2)]);
    expect(reloaded.takeRefused()).toEqual([]);
    expect(new Outbox(storage, 'u1', async () => 'stored').takeRefused()).toEqual([]);
  });

  test('what waits survives a reload and is sent then; other users do not see it', async () => {
    const storage = memoryStorage();
    const offline = new Outbox(
      storage,
      'u1',
      async () => 'retry',
      () => new Promise(() => undefined),
    );
    void offline.add(save('a', 2));
    await Promise.resolve();
    expect([...storage.data.values()].join()).toContain('AQa2');
    expect(new Outbox(storage, 'u2', async () => 'stored').waiting).toBe(0);
    const sent: SealedSave[] = [];
    const online = new Outbox(storage, 'u1', async (s) => (sent.push(s), 'stored'));
    expect(online.waiting).toBe(1);
    await online.drain();
    expect(sent).toEqual([save('a', 2)]);
    expect(new Outbox(storage, 'u1', async () => 'stored').waiting).toBe(0);
  });

  test.each([
    ['not json'],
    ['{"waiting":[{"id":"a","version":"2","ciphertext":"x"}]}'],
    ['{"waiting":[{"id":"a","version":2,"ciphertext":"<b>"}]}'],
  ])('a damaged stored queue %s is read as empty', (stored) => {
    const storage = memoryStorage();
    storage.data.set('hearth_notes_outbox:u1', stored);
    expect(new Outbox(storage, 'u1', async () => 'stored').waiting).toBe(0);
  });
});
