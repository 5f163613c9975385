// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
  namespace App {
    interface Locals {
      /** The language of this request: the `hearth_lang` cookie, else Accept-Language, else English. */
      lang: string;
    }
  }
}

export {};
