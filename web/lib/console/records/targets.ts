import type { CollectionModel } from 'pocketbase';
import { consoleApi } from '../client';

/** Relation target collections by id, fetched once per visit to the console (a failure is retried). */
const targets = new Map<string, Promise<CollectionModel>>();

export function targetCollection(id: string): Promise<CollectionModel> {
  let found = targets.get(id);
  if (!found) {
    found = consoleApi().collections.getOne(id, { requestKey: null });
    found.catch(() => targets.delete(id));
    targets.set(id, found);
  }
  return found;
}
