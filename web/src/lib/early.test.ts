import { afterEach, describe, expect, it, vi } from 'vitest';
import html from '../../index.html?raw';
import { Api, login } from './api';
import { withEarly, type Early } from './early';

// index.html's boot script, run as the page runs it.
const boot = /<script>([\s\S]*?)<\/script>/.exec(html)![1];

function answer(body: unknown) {
  return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
}

// A fetch that answers /login and the container list, recording what it was asked.
function server() {
  return vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    if (String(url) === '/login') return answer({ Session: 'sess1', Containers: [{ Id: 'c1', Names: ['/web'] }] });
    return answer([{ Id: 'c1', Names: ['/web'], Auth: new Headers(init?.headers).get('Authorization') }]);
  });
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('early requests', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    delete (window as { wharfEarly?: Early }).wharfEarly;
    localStorage.clear();
  });

  it('answers an identical request once from what was sent early, and any other from fetch', async () => {
    const early: Early = { sent: new Map([['GET /api/x Bearer s1 ', Promise.resolve(answer('early'))]]), done: Promise.resolve(), at: 0 };
    const later = vi.fn(async () => answer('fetched'));
    const f = withEarly(later, () => early);
    // Another session's request never takes the answer.
    expect(await (await f('/api/x', { headers: { Authorization: 'Bearer s2' } })).json()).toBe('fetched');
    expect(await (await f('/api/x', { method: 'GET', headers: { Authorization: 'Bearer s1' } })).json()).toBe('early');
    expect(await (await f('/api/x', { headers: { Authorization: 'Bearer s1' } })).json()).toBe('fetched');
    expect(later).toHaveBeenCalledTimes(2);
  });

  it("logs in with a link's token, getting the list in the same answer, before the app runs; the app's login takes that answer", async () => {
    const fetch = server();
    vi.stubGlobal('fetch', fetch);
    history.replaceState(null, '', '/#login=abc123');
    new Function(boot)();
    expect(fetch.mock.calls.map((c) => String(c[0]))).toEqual(['/login']);
    expect(fetch.mock.calls[0][1]!.body).toBe('{"Login":"abc123","With":"containers"}');

    // The app, loaded later, asks the same: nothing more goes out.
    const answer = await login('abc123', undefined, true);
    expect(answer.Session).toBe('sess1');
    expect(answer.Containers?.map((c) => c.Id)).toEqual(['c1']);
    expect(fetch).toHaveBeenCalledTimes(1);
    // A later list asks the daemon.
    await new Api(answer.Session).containers();
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('waits for the early requests to leave before sending its own', async () => {
    let finish!: () => void;
    const early: Early = { sent: new Map([['POST /login  {}', Promise.resolve(answer('login'))]]), done: new Promise<void>((r) => (finish = r)), at: 0 };
    const later = vi.fn(async () => answer('fetched'));
    const asked = withEarly(later, () => early)('/api/x', { headers: { Authorization: 'Bearer s1' } });
    // The boot script sends the list after the app asked for it, then is done.
    early.sent.set('GET /api/x Bearer s1 ', Promise.resolve(answer('early')));
    finish();
    expect(await (await asked).json()).toBe('early');
    expect(later).not.toHaveBeenCalled();
  });

  it('fetches the list with a stored session on the containers view only, and sets the theme before the first paint', async () => {
    const fetch = server();
    vi.stubGlobal('fetch', fetch);
    localStorage.setItem('wharf.session', 'kept');
    localStorage.setItem('wharf.theme', 'dark');
    history.replaceState(null, '', '/#/images');
    new Function(boot)();
    expect(fetch).not.toHaveBeenCalled();
    expect(document.documentElement.dataset.theme).toBe('dark');

    history.replaceState(null, '', '/');
    new Function(boot)();
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(new Headers(fetch.mock.calls[0][1]!.headers).get('Authorization')).toBe('Bearer kept');
    expect((await new Api('kept').containers()).map((c) => c.Id)).toEqual(['c1']);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('leaves a used or expired link to the app, which shows why', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ message: 'this login link is used or expired' }), { status: 401 }));
    vi.stubGlobal('fetch', fetch);
    history.replaceState(null, '', '/#login=ff');
    new Function(boot)();
    await flush();
    expect(fetch).toHaveBeenCalledTimes(1);
    await expect(login('ff', undefined, true)).rejects.toThrow('used or expired');
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});
