/** Which account dialog is open, shared by the header, the pages and the dialogs themselves. */
export type AuthView = 'signIn' | 'signUp' | 'forgot' | 'forgotSent' | 'wallet';

class AuthUi {
  open = $state(false);
  view = $state<AuthView>('signIn');
  /** The email typed so far, carried from one view to the next (sign in → forgot password). */
  email = $state('');
  /** Where the last verification mail went, for the banner to say so. */
  verificationSentTo = $state<string | null>(null);

  show(view: AuthView, email?: string): void {
    this.view = view;
    if (email !== undefined) this.email = email;
    this.open = true;
  }

  close(): void {
    this.open = false;
  }
}

export const authUi = new AuthUi();
