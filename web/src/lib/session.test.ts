import { describe, expect, it, vi } from 'vitest';
import { fromFragment, stored } from './session';

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k),
    clear: () => m.clear(), key: () => null, get length() { return m.size; },
  };
}

describe('session', () => {
  it('trades a login link for a session, keeps it, and clears the link from the address bar', async () => {
    const storage = memoryStorage();
    const fetch = vi.fn(async (_u: RequestInfo | URL, _i?: RequestInit) => new Response(JSON.stringify({ Session: 'sess1' }), { status: 200 }));
    history.replaceState(null, '', '/#login=abc123');
    expect((await fromFragment(location, storage, fetch)).session).toBe('sess1');
    expect(fetch.mock.calls[0][0]).toBe('/login');
    expect(fetch.mock.calls[0][1]!.body).toBe('{"Login":"abc123","With":"containers"}');
    expect(stored(storage)).toBe('sess1');
    expect(location.hash).toBe('#/containers');
  });

  it('keeps the stored session without a link, and shows why a used link fails', async () => {
    const storage = memoryStorage();
    storage.setItem('wharf.session', 'old');
    history.replaceState(null, '', '/#/images');
    expect(await fromFragment(location, storage)).toEqual({ session: 'old' });
    const fetch = vi.fn(async () => new Response(JSON.stringify({ message: 'this login link is used or expired' }), { status: 401 }));
    history.replaceState(null, '', '/#login=ff');
    await expect(fromFragment(location, storage, fetch)).rejects.toThrow('used or expired');
  });
});
