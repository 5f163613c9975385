import { ClientResponseError } from 'pocketbase';
import { describe, expect, test } from 'vitest';
import { buildRecordFormData, recordPath, sendRecordForm } from './upload';

const file = (name: string, text = name) => new File([text], name, { type: 'text/plain' });

describe('buildRecordFormData', () => {
  test('values travel as @jsonPayload, files under their modifier keys', async () => {
    const form = buildRecordFormData({ title: 'x', n: 2, 'docs-': ['old.txt'] }, [
      { field: 'docs', multiple: true, files: [file('a.txt'), file('b.txt')] },
      { field: 'cover', multiple: false, files: [file('first.png'), file('last.png')] },
      { field: 'none', multiple: true, files: [] },
    ]);
    const entries = [...form.entries()];
    expect(entries.map(([k]) => k)).toEqual(['@jsonPayload', 'docs+', 'docs+', 'cover']);
    expect(JSON.parse(entries[0]![1] as string)).toEqual({ title: 'x', n: 2, 'docs-': ['old.txt'] });
    const docs = form.getAll('docs+') as File[];
    expect(docs.map((f) => f.name)).toEqual(['a.txt', 'b.txt']);
    expect(await docs[1]!.text()).toBe('b.txt');
    expect((form.get('cover') as File).name).toBe('last.png');
  });

  test('a multipart body the server reads like the SDK would send', async () => {
    const form = buildRecordFormData({ title: 'ü' }, [
      { field: 'f', multiple: false, files: [file('n a"m.txt')] },
    ]);
    const request = new Request('http://x/', { method: 'POST', body: form });
    const type = request.headers.get('content-type') ?? '';
    expect(type).toMatch(/^multipart\/form-data; boundary=/);
    const text = await request.text();
    expect(text).toContain('name="@jsonPayload"');
    expect(text).toContain('{"title":"ü"}');
    expect(text).toContain('name="f"; filename="n a%22m.txt"');
  });
});

test('recordPath escapes its parts', () => {
  expect(recordPath('my posts')).toBe('/api/collections/my%20posts/records');
  expect(recordPath('c', 'a/b')).toBe('/api/collections/c/records/a%2Fb');
});

/** A stand-in for the browser's XMLHttpRequest: records what is sent, answers as told. */
class FakeRequest {
  static last: FakeRequest;
  method = '';
  url = '';
  headers: Record<string, string> = {};
  sent: unknown;
  status = 0;
  responseText = '';
  upload: { onprogress: ((e: ProgressEvent) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  constructor() {
    FakeRequest.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  send(body: unknown) {
    this.sent = body;
  }
  abort() {
    this.onabort?.();
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = typeof body === 'string' ? body : JSON.stringify(body);
    this.onload?.();
  }
}

const makeRequest = () => new FakeRequest() as unknown as XMLHttpRequest;

describe('sendRecordForm', () => {
  test('sends with the token, reports progress, resolves to the record', async () => {
    const progress: [number, number][] = [];
    const body = new FormData();
    const done = sendRecordForm({
      url: '/api/collections/c/records',
      method: 'POST',
      token: 'tok',
      body,
      makeRequest,
      onprogress: (l, t) => progress.push([l, t]),
    });
    const xhr = FakeRequest.last;
    expect([xhr.method, xhr.url, xhr.headers['Authorization'], xhr.sent]).toEqual([
      'POST',
      '/api/collections/c/records',
      'tok',
      body,
    ]);
    xhr.upload.onprogress?.({ loaded: 5, total: 10, lengthComputable: true } as ProgressEvent);
    xhr.upload.onprogress?.({ loaded: 7, total: 0, lengthComputable: false } as ProgressEvent);
    xhr.respond(200, { id: 'r1', collectionId: 'c', collectionName: 'c' });
    await expect(done).resolves.toMatchObject({ id: 'r1' });
    expect(progress).toEqual([
      [5, 10],
      [7, 0],
    ]);
  });

  test('a refusal is a ClientResponseError with the server message and field errors', async () => {
    const done = sendRecordForm({ url: '/u', method: 'PATCH', token: '', body: new FormData(), makeRequest });
    FakeRequest.last.respond(400, {
      status: 400,
      message: 'Failed.',
      data: { f: { code: 'x', message: 'bad' } },
    });
    const err = (await done.catch((e: unknown) => e)) as ClientResponseError;
    expect(err).toBeInstanceOf(ClientResponseError);
    expect(err.status).toBe(400);
    expect(err.message).toBe('Failed.');
    expect(err.response['data']).toEqual({ f: { code: 'x', message: 'bad' } });
    expect(FakeRequest.last.headers).not.toHaveProperty('Authorization');
  });

  test('a network failure has status 0; an abort is marked', async () => {
    const lost = sendRecordForm({ url: '/u', method: 'POST', token: 't', body: new FormData(), makeRequest });
    FakeRequest.last.onerror?.();
    await expect(lost).rejects.toMatchObject({ status: 0, isAbort: false });

    const controller = new AbortController();
    const aborted = sendRecordForm({
      url: '/u',
      method: 'POST',
      token: 't',
      body: new FormData(),
      makeRequest,
      signal: controller.signal,
    });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ status: 0, isAbort: true });
  });

  test('a body that is not JSON still fails cleanly', async () => {
    const done = sendRecordForm({ url: '/u', method: 'POST', token: 't', body: new FormData(), makeRequest });
    FakeRequest.last.respond(413, '<html>too big</html>');
    await expect(done).rejects.toMatchObject({ status: 413 });
  });
});
