import { describe, expect, it, vi } from 'vitest';
import { flushSync } from 'svelte';
import { ContainerList } from './containers.svelte';
import type { Api, ContainerSummary, EngineEvent } from './api';

const c = (Id: string, State = 'running'): ContainerSummary =>
  ({ Id, Names: ['/' + Id], Image: 'busybox', ImageID: 'i', Command: '', Created: 0, State, Status: '', Ports: [], Labels: {} });
const ev = (Action: string, ID: string, Type = 'container'): EngineEvent => ({ Type, Action, Actor: { ID, Attributes: {} }, time: 0, timeNano: 0 });

describe('ContainerList', () => {
  it('applies a burst of events with one list call', async () => {
    vi.useFakeTimers();
    const api = {
      containers: vi.fn(async () => [c('a', 'exited'), c('b')]),
      containersById: vi.fn(async (ids: string[]) => ids.filter((id) => id !== 'b').map((id) => c(id, 'running'))),
    } as unknown as Api;
    const list = new ContainerList(api, 50);
    await list.load();
    for (let i = 0; i < 100; i++) list.apply(ev(i % 2 ? 'start' : 'create', i % 3 ? 'a' : 'new'));
    list.apply(ev('exec_start: sh', 'a'));
    list.apply(ev('create', 'x', 'volume'));
    list.apply(ev('destroy', 'b'));
    await vi.advanceTimersByTimeAsync(60);
    flushSync();
    expect(api.containersById).toHaveBeenCalledTimes(1);
    expect((api.containersById as ReturnType<typeof vi.fn>).mock.calls[0][0].sort()).toEqual(['a', 'new']);
    expect(list.items.map((x) => `${x.Id}:${x.State}`)).toEqual(['a:running', 'new:running']);
    vi.useRealTimers();
  });

  it('does not bring back a container destroyed while its refresh was out', async () => {
    vi.useFakeTimers();
    let answer: (cs: ContainerSummary[]) => void = () => {};
    const api = {
      containers: vi.fn(async () => [c('a'), c('b')]),
      containersById: vi.fn(() => new Promise<ContainerSummary[]>((r) => (answer = r))),
    } as unknown as Api;
    const list = new ContainerList(api, 50);
    await list.load();
    list.apply(ev('die', 'a'));
    await vi.advanceTimersByTimeAsync(60); // the refresh is out
    list.apply(ev('destroy', 'a')); // compose down removes it meanwhile
    answer([c('a', 'exited')]); // the refresh's answer, taken before the destroy
    await vi.advanceTimersByTimeAsync(0);
    flushSync();
    expect(list.items.map((x) => x.Id)).toEqual(['b']);
    vi.useRealTimers();
  });

  it('keeps the load error to show', async () => {
    const api = { containers: vi.fn(async () => { throw new Error('Cannot connect'); }) } as unknown as Api;
    const list = new ContainerList(api);
    await list.load();
    expect(list.error).toBe('Cannot connect');
    expect(list.loaded).toBe(true);
  });
});
