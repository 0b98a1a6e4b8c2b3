import { describe, expect, it, vi, afterEach } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import Containers from './Containers.svelte';
import RunForm from './RunForm.svelte';
import ConfirmButton from './ConfirmButton.svelte';
import { ContainerList } from '../lib/containers.svelte';
import type { Api, ContainerSummary } from '../lib/api';

afterEach(cleanup);

const c = (name: string, State: string, project = '', ports: ContainerSummary['Ports'] = []): ContainerSummary => ({
  Id: name.padEnd(64, '0'), Names: ['/' + name], Image: 'busybox', ImageID: 'i', Command: 'sh', Created: 0, State,
  Status: State === 'running' ? 'Up 2 minutes' : 'Exited (0) 1 minute ago', Ports: ports,
  Labels: project ? { 'com.docker.compose.project': project, 'com.docker.compose.service': name } : {},
});

async function listOf(items: ContainerSummary[]) {
  const api = { containers: vi.fn(async () => items) } as unknown as Api;
  const list = new ContainerList(api);
  await list.load();
  return { api, list };
}

describe('Containers', () => {
  it('lists containers grouped by compose project, with state, ports as links and actions', async () => {
    const { api, list } = await listOf([
      c('solo', 'exited'),
      c('web', 'running', 'shop', [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }, { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }]),
      c('db', 'running', 'shop'),
    ]);
    render(Containers, { api, list });
    expect(screen.getByRole('heading', { level: 1 }).textContent).toContain('2 running of 3');
    const rows = screen.getAllByRole('row').map((r) => r.textContent ?? '');
    // The project's header, its containers by name, then the rest.
    expect(rows.findIndex((r) => r.includes('shop'))).toBeLessThan(rows.findIndex((r) => r.includes('db')));
    expect(rows.findIndex((r) => r.includes('web'))).toBeLessThan(rows.findIndex((r) => r.includes('solo')));
    const link = screen.getByRole('link', { name: '0.0.0.0:8080->80/tcp' });
    expect(link.getAttribute('href')).toMatch(/^http:\/\/.*:8080\/$/);
    expect(screen.getAllByText('0.0.0.0:8080->80/tcp')).toHaveLength(1); // the IPv6 twin is dropped
    const solo = screen.getByText('solo').closest('tr')!;
    expect(within(solo).getByRole('button', { name: 'Start' })).toBeTruthy();
    const web = screen.getByText('web').closest('tr')!;
    expect(within(web).getByRole('button', { name: 'Stop' })).toBeTruthy();
  });

  it('filters by search and state', async () => {
    const { api, list } = await listOf([c('alpha', 'running'), c('beta', 'exited')]);
    render(Containers, { api, list });
    await fireEvent.input(screen.getByLabelText('Search containers'), { target: { value: 'bet' } });
    expect(screen.queryByText('alpha')).toBeNull();
    expect(screen.getByText('beta')).toBeTruthy();
    await fireEvent.input(screen.getByLabelText('Search containers'), { target: { value: '' } });
    const select = screen.getByLabelText('Filter by state') as HTMLSelectElement;
    await fireEvent.change(select, { target: { value: 'running' } });
    expect(screen.getByText('alpha')).toBeTruthy();
    expect(screen.queryByText('beta')).toBeNull();
  });

  it("stops a container and shows docker's error", async () => {
    const { list } = await listOf([c('web', 'running')]);
    const api = { stop: vi.fn(async () => { throw new Error('cannot stop container: web: permission denied'); }) } as unknown as Api;
    render(Containers, { api, list });
    await fireEvent.click(screen.getByRole('button', { name: 'Stop' }));
    await tick();
    await tick();
    expect(api.stop).toHaveBeenCalledWith('web'.padEnd(64, '0'));
    expect((await screen.findByRole('alert')).textContent).toContain('permission denied');
  });
});

describe('RunForm', () => {
  it('shows the equivalent docker run command as the form is filled', async () => {
    const api = {} as Api;
    render(RunForm, { api, image: 'busybox', onclose: () => {} });
    expect(screen.getByTestId('docker-run').textContent).toBe('docker run -d busybox');
    await fireEvent.input(screen.getByLabelText('Name'), { target: { value: 'web' } });
    await fireEvent.input(screen.getByLabelText(/^Ports/), { target: { value: '8080:80' } });
    await fireEvent.input(screen.getByLabelText('Command'), { target: { value: 'httpd -f -p 80' } });
    expect(screen.getByTestId('docker-run').textContent).toBe('docker run -d --name web -p 8080:80 busybox httpd -f -p 80');
  });

  it('creates and starts the container', async () => {
    const api = { create: vi.fn(async () => ({ Id: 'f'.repeat(64), Warnings: [] })), start: vi.fn(async () => {}) } as unknown as Api;
    render(RunForm, { api, image: 'busybox', onclose: () => {} });
    await fireEvent.input(screen.getByLabelText(/^Ports/), { target: { value: '8080:80' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    await vi.waitFor(() => expect(api.start).toHaveBeenCalledWith('f'.repeat(64)));
    expect(api.create).toHaveBeenCalledWith(expect.objectContaining({ Image: 'busybox', HostConfig: expect.objectContaining({ PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } }) }), undefined);
    expect(location.hash).toBe('#/containers/ffffffffffff');
  });

  it("shows a bad port as an error, and doesn't call the API", async () => {
    const api = { create: vi.fn() } as unknown as Api;
    render(RunForm, { api, image: 'busybox', onclose: () => {} });
    await fireEvent.input(screen.getByLabelText(/^Ports/), { target: { value: '99999:80' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    expect((await screen.findByRole('alert')).textContent).toContain('invalid port');
    expect(api.create).not.toHaveBeenCalled();
  });
});

describe('ConfirmButton', () => {
  it('asks once more before acting', async () => {
    const onconfirm = vi.fn();
    render(ConfirmButton, { label: 'Remove', confirm: 'Remove?', onconfirm });
    await fireEvent.click(screen.getByRole('button', { name: 'Remove' }));
    expect(onconfirm).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByRole('button', { name: 'Remove?' }));
    expect(onconfirm).toHaveBeenCalledTimes(1);
  });
});

describe('Containers, 500 of them', () => {
  it('renders a window of rows and keeps the count of all', async () => {
    const items = Array.from({ length: 500 }, (_, i) => c(`c${String(i).padStart(3, '0')}`, i % 2 ? 'running' : 'exited'));
    const { api, list } = await listOf(items);
    render(Containers, { api, list });
    const table = screen.getByRole('table', { name: 'Containers' });
    expect(table.getAttribute('data-rows')).toBe('500');
    const rows = table.querySelectorAll('tr[data-name]');
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(100);
    expect(rows[0].getAttribute('data-name')).toBe('c000');
    // A search narrows the list below the window's threshold: every match renders.
    await fireEvent.input(screen.getByLabelText('Search containers'), { target: { value: 'c4' } });
    expect(table.getAttribute('data-rows')).toBe('100');
    expect(table.querySelectorAll('tr[data-name]').length).toBe(100);
  }, 30_000); // rendering 500 rows in happy-dom is CPU work: a loaded machine needs far more than the default 5 s
});
