import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, waitFor } from '@testing-library/svelte';
import App from './App.svelte';
import { firstView, type First } from './lib/first';
import type { ContainerSummary } from './lib/api';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  delete (window as { wharfEarly?: unknown }).wharfEarly;
  localStorage.clear();
});

const c = (name: string): ContainerSummary => ({
  Id: name.padEnd(64, '0'), Names: ['/' + name], Image: 'busybox', ImageID: 'i', Command: 'sh', Created: 0,
  State: 'running', Status: 'Up 2 minutes', Ports: [], Labels: {},
});
const json = (v: unknown) => new Response(JSON.stringify(v), { status: 200, headers: { 'Content-Type': 'application/json' } });

describe('the first view', () => {
  it('logs in with the link and loads the list before the app mounts', async () => {
    const fetch = vi.fn(async (url: RequestInfo | URL) => (String(url) === '/login' ? json({ Session: 's1', Containers: [c('web')] }) : json([c('other')])));
    vi.stubGlobal('fetch', fetch);
    history.replaceState(null, '', '/#login=ab12');
    const f = await firstView();
    expect(f.session).toBe('s1');
    expect(f.containers?.map((x) => x.Names[0])).toEqual(['/web']);
    expect(fetch).toHaveBeenCalledTimes(1); // the list came with the login
    expect(location.hash).toBe('#/containers');
    expect(localStorage.getItem('wharf.session')).toBe('s1');
  });

  it('says why a used link fails, and loads no list for another view', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ message: 'this login link is used or expired' }), { status: 401 })));
    history.replaceState(null, '', '/#login=ff');
    expect((await firstView()).error).toContain('used or expired');
    localStorage.setItem('wharf.session', 'kept');
    history.replaceState(null, '', '/#/images');
    const f = await firstView();
    expect(f).toMatchObject({ session: 'kept' });
    expect(f.containers).toBeUndefined();
    // With a stored session on the containers view, it asks for the list.
    vi.stubGlobal('fetch', vi.fn(async () => json([c('db')])));
    history.replaceState(null, '', '/');
    expect((await firstView()).containers?.map((x) => x.Names[0])).toEqual(['/db']);
  });

  it('renders the list in the first render, then keeps it live from the events stream', async () => {
    const since = 1_800_000_000;
    const destroy = { Type: 'container', Action: 'destroy', Actor: { ID: c('web').Id, Attributes: {} }, time: since + 1, timeNano: 0 };
    const asked: string[] = [];
    vi.stubGlobal('fetch', vi.fn(async (url: RequestInfo | URL) => {
      asked.push(String(url));
      if (String(url).startsWith('/api/events')) return new Response(JSON.stringify(destroy) + '\n', { status: 200 });
      if (String(url).startsWith('/api/info')) return json({});
      return json([c('db')]);
    }));
    history.replaceState(null, '', '/#/containers');
    const f: First = { session: 's1', containers: [c('web'), c('db')], since };
    render(App, { first: { done: Promise.resolve(f), value: f } });
    // In the DOM at once, before any request.
    expect(document.querySelector('tr[data-name="web"]')).not.toBeNull();
    expect(asked.filter((u) => u.startsWith('/api/containers'))).toEqual([]);
    // The events stream starts where the list was asked for, and removes the destroyed one.
    await waitFor(() => expect(document.querySelector('tr[data-name="web"]')).toBeNull());
    expect(asked).toContain(`/api/events?since=${since}`);
    expect(screen.getByText('db')).toBeTruthy();
    expect(asked.filter((u) => u.startsWith('/api/containers/json?all=1'))).toEqual([]);
  });
});
