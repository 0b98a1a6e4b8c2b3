import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import JsonTree from './JsonTree.svelte';
import VolumeFiles from './VolumeFiles.svelte';
import Compose from './Compose.svelte';
import Swarm from './Swarm.svelte';
import { ContainerList } from '../lib/containers.svelte';
import { EventHub } from '../lib/events.svelte';
import type { Api, ContainerSummary, VolumeListing } from '../lib/api';

afterEach(cleanup);

describe('JsonTree', () => {
  it('shows inspect data field by field, nested objects folded below the first level', () => {
    render(JsonTree, { value: { Name: 'v', Labels: { a: 'b' }, Options: null, Deep: { Inner: { x: 1 } }, List: [] } });
    expect(screen.getByText('Name').nextElementSibling!.textContent!.trim()).toBe('v');
    expect(screen.getByText('null')).toBeTruthy();
    expect(screen.getByText('[]')).toBeTruthy();
    const details = document.querySelectorAll('details');
    expect(details[0].open).toBe(true); // Labels
    expect([...details].some((d) => !d.open)).toBe(true); // Deep.Inner
  });
});

describe('VolumeFiles', () => {
  it('opens directories and downloads files', async () => {
    const listings: Record<string, VolumeListing> = {
      '/': { Path: '/', Entries: [{ Name: 'b.txt', Type: 'file', Size: 1200, Mode: '-rw-r--r--', ModTime: '2026-01-01T00:00:00Z' }, { Name: 'sub', Type: 'dir', Size: 0, Mode: 'drwxr-xr-x', ModTime: '2026-01-01T00:00:00Z' }] },
      '/sub': { Path: '/sub', Entries: [{ Name: 'link', Type: 'symlink', Size: 0, Mode: 'Lrwxrwxrwx', ModTime: '2026-01-01T00:00:00Z', Target: '/etc/passwd' }] },
    };
    const api = {
      volumeFiles: vi.fn(async (_n: string, p: string) => listings[p]),
      volumeDownload: vi.fn(async () => { throw new Error('/sub/link: path escapes from parent'); }),
    } as unknown as Api;
    render(VolumeFiles, { api, name: 'data' });
    const rows = await screen.findAllByRole('row');
    expect(rows[1].textContent).toContain('sub/'); // directories first
    expect(rows[2].textContent).toContain('1.2kB');
    await fireEvent.click(screen.getByRole('button', { name: /sub\// }));
    expect(await screen.findByText('→ /etc/passwd', { exact: false })).toBeTruthy();
    expect(api.volumeFiles).toHaveBeenLastCalledWith('data', '/sub');
    await fireEvent.click(screen.getByRole('button', { name: 'Download' }));
    expect((await screen.findByRole('alert')).textContent).toContain('path escapes');
    expect(api.volumeDownload).toHaveBeenCalledWith('data', '/sub/link');
  });
});

const member = (svc: string, project: string): ContainerSummary => ({
  Id: svc.padEnd(64, '0'), Names: [`/${project}-${svc}-1`], Image: 'busybox', ImageID: 'i', Command: 'sh', Created: 0, State: 'running', Status: 'Up',
  Ports: [], Labels: { 'com.docker.compose.project': project, 'com.docker.compose.service': svc },
});

describe('Compose', () => {
  it('ups a project from a pasted file and shows compose output', async () => {
    const api = {
      containers: vi.fn(async () => []),
      composeUp: vi.fn(async (_p: string, _f: string, _d: string, onText: (s: string) => void) => onText(' Container shop-web-1  Started\n')),
    } as unknown as Api;
    const list = new ContainerList(api);
    render(Compose, { api, list });
    await fireEvent.input(screen.getByLabelText('Project name'), { target: { value: 'shop' } });
    await fireEvent.input(screen.getByLabelText('Compose file text'), { target: { value: 'services:\n  web: {image: busybox}\n' } });
    await fireEvent.submit(screen.getByRole('form', { name: 'Compose up' }));
    expect((await screen.findByTestId('compose-output')).textContent).toContain('shop-web-1  Started');
    expect(api.composeUp).toHaveBeenCalledWith('shop', 'services:\n  web: {image: busybox}\n', '', expect.any(Function));
  });

  it("follows every container's logs of a project, prefixed by name", async () => {
    const items = [member('web', 'shop'), member('db', 'shop')];
    const api = {
      containers: vi.fn(async () => items),
      inspect: vi.fn(async () => ({ Config: { Tty: true } })),
      logs: vi.fn(async (id: string, _tty: boolean, _o: object, onText: (s: string, st: 'stdout') => void) => onText(`hello from ${id.slice(0, 3)}\n`, 'stdout')),
      composeDown: vi.fn(async () => {}),
    } as unknown as Api;
    const list = new ContainerList(api);
    await list.load();
    render(Compose, { api, list });
    const card = document.querySelector('[data-project="shop"]') as HTMLElement;
    await fireEvent.click(within(card).getByRole('button', { name: 'Logs' }));
    const logs = await screen.findByLabelText('Project logs');
    await vi.waitFor(() => expect(logs.textContent).toContain('shop-web-1 | hello from web'));
    expect(logs.textContent).toContain('shop-db-1  | hello from db');
    await fireEvent.click(within(card).getByRole('button', { name: 'Down' }));
    await fireEvent.click(within(card).getByRole('button', { name: 'Remove containers and networks?' }));
    expect(api.composeDown).toHaveBeenCalledWith('shop', false, expect.any(Function));
  });
});

describe('Swarm', () => {
  it('shows nodes, services with replicas and their tasks, and scales', async () => {
    const svc = { ID: 's1', Version: { Index: 3 }, Spec: { Name: 'web', Mode: { Replicated: { Replicas: 2 } }, TaskTemplate: { ContainerSpec: { Image: 'busybox@sha256:abc' } } }, ServiceStatus: { RunningTasks: 1, DesiredTasks: 2 } };
    const api = {
      nodes: vi.fn(async () => [{ ID: 'n1', Description: { Hostname: 'host-a' }, Spec: { Role: 'manager', Availability: 'active' }, Status: { State: 'ready' }, ManagerStatus: { Leader: true } }]),
      services: vi.fn(async () => [svc]),
      tasks: vi.fn(async () => [{ ID: 't1', ServiceID: 's1', NodeID: 'n1', Slot: 1, Status: { State: 'running' }, DesiredState: 'running' }]),
      scale: vi.fn(async () => ({})),
      events: vi.fn(async () => {}),
    } as unknown as Api;
    render(Swarm, { api, hub: new EventHub(api) });
    expect((await screen.findByTestId('replicas')).textContent).toBe('1/2');
    expect(screen.getByText('Leader')).toBeTruthy();
    expect(screen.getByText('busybox')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Tasks' }));
    const tasks = screen.getByRole('table', { name: 'Tasks of web' });
    expect(within(tasks).getByText('host-a')).toBeTruthy();
    await fireEvent.input(screen.getByLabelText('Replicas of web'), { target: { value: '4' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Scale' }));
    await vi.waitFor(() => expect(api.scale).toHaveBeenCalledWith(svc, 4));
  });
});
