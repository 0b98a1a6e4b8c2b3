import { describe, expect, it, vi } from 'vitest';
import { EventHub } from './events.svelte';
import type { Api, EngineEvent } from './api';

const ev = (n: number): EngineEvent => ({ Type: 'container', Action: 'start', Actor: { ID: `c${n}`, Attributes: {} }, time: 100 + n, timeNano: 0 });

describe('EventHub', () => {
  it('feeds listeners and keeps the newest events, then reconnects from the last one after a drop', async () => {
    vi.useFakeTimers();
    const calls: (number | undefined)[] = [];
    const api = {
      events: vi.fn(async (on: (e: EngineEvent) => void, _signal: AbortSignal, since?: number) => {
        calls.push(since);
        if (calls.length === 1) {
          for (let i = 1; i <= 5; i++) on(ev(i));
          return; // the daemon closed the stream
        }
        if (calls.length === 2) throw new Error('dropped');
        return new Promise<void>(() => {}); // the third stays open
      }),
    } as unknown as Api;
    const hub = new EventHub(api, 3);
    const seen: string[] = [];
    const off = hub.on((e) => seen.push(e.Actor.ID));
    const gaps = vi.fn();
    const stop = new AbortController();
    void hub.run(stop.signal, gaps);
    await vi.advanceTimersByTimeAsync(2500);
    expect(seen).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    expect(hub.feed.map((e) => e.Actor.ID)).toEqual(['c5', 'c4', 'c3']);
    expect(calls.slice(1)).toEqual([105, 105]);
    expect(gaps).toHaveBeenCalledTimes(2);
    off();
    hub.emit(ev(6));
    expect(seen).toHaveLength(5);
    stop.abort();
    vi.useRealTimers();
  });
});
