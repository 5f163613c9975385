import type { CollectionModel } from 'pocketbase';
import { consoleApi } from '../client';

/** The rules the editor shows, in order; auth collections add theirs. */
export const BASE_RULES = ['listRule', 'viewRule', 'createRule', 'updateRule', 'deleteRule'] as const;
export const AUTH_RULES = ['authRule', 'manageRule'] as const;
export type RuleKey = (typeof BASE_RULES)[number] | (typeof AUTH_RULES)[number];

/** The collection being edited, as the API takes it. */
export type CollectionDraft = Partial<CollectionModel> & { name: string; type: string };

/** A copy to edit: the page's draft never shares objects with what was loaded. */
export function draftOf(model: CollectionModel): CollectionDraft {
  return $state.snapshot(model) as CollectionModel; // a deep copy, proxies or not
}

/**
 * Asks the server whether saving the draft would succeed, without saving (the dry run behind
 * "validates as you type"). Resolves to nothing when it would, rejects with the save's 400 otherwise.
 */
export async function validateDraft(draft: CollectionDraft, existingId: string | undefined): Promise<void> {
  await consoleApi().send('/api/hearth/collections/validate', {
    method: 'POST',
    body: draft,
    query: existingId ? { collection: existingId } : {},
    requestKey: 'collection-validate',
  });
}
