import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import PrunePanel from './PrunePanel.svelte';
import BuildForm from './BuildForm.svelte';
import { ApiError, type Api, type BuildRequest } from '../lib/api';

afterEach(cleanup);

describe('PrunePanel', () => {
  it('previews what goes, follows its options, and runs only when confirmed', async () => {
    const preview = vi.fn(async (o: Record<string, boolean>) => ({
      sections: [{ title: 'Images', items: [{ kind: 'image' as const, id: '1', label: '<none> 1', size: 2000 }, ...(o.all ? [{ kind: 'image' as const, id: '2', label: 'app:1' }] : [])] }],
    }));
    const run = vi.fn(async () => 'Deleted 1 image. Total reclaimed space: 2kB');
    render(PrunePanel, { what: 'images', options: [{ key: 'all', label: 'All unused' }], preview, run });
    await fireEvent.click(screen.getByRole('button', { name: 'Prune…' }));
    const panel = await screen.findByRole('region', { name: 'Prune images' });
    expect((await within(panel).findByRole('list', { name: 'Images to remove' })).textContent).toContain('<none> 1');
    expect(run).not.toHaveBeenCalled();
    await fireEvent.click(within(panel).getByRole('checkbox', { name: 'All unused' }));
    expect(await within(panel).findByText('app:1')).toBeTruthy();
    expect(preview).toHaveBeenLastCalledWith({ all: true });
    await fireEvent.click(within(panel).getByRole('button', { name: 'Remove these 2' }));
    expect((await within(panel).findByRole('status')).textContent).toBe('Deleted 1 image. Total reclaimed space: 2kB');
    expect(run).toHaveBeenCalledWith({ all: true });
  });

  it('says when nothing would go, and shows a failure in the daemon’s words', async () => {
    const preview = vi.fn(async () => ({ sections: [{ title: 'Networks', items: [] }] }));
    render(PrunePanel, { what: 'networks', preview, run: async () => '' });
    await fireEvent.click(screen.getByRole('button', { name: 'Prune…' }));
    expect(await screen.findByText('Nothing to remove.')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Remove' }) as HTMLButtonElement).disabled).toBe(true);
    cleanup();
    render(PrunePanel, { what: 'volumes', preview: async () => { throw new ApiError(500, 'a prune operation is already running'); }, run: async () => '' });
    await fireEvent.click(screen.getByRole('button', { name: 'Prune…' }));
    expect((await screen.findByRole('alert')).textContent).toBe('a prune operation is already running');
  });
});

describe('BuildForm', () => {
  it('builds a host directory and streams its output', async () => {
    const build = vi.fn(async (_r: BuildRequest, onText: (s: string) => void) => {
      onText('Step 1/1 : FROM busybox\n');
      onText('Successfully tagged app:1\n');
      return 'sha256:abc';
    });
    const onbuilt = vi.fn();
    render(BuildForm, { api: { build } as unknown as Api, onbuilt });
    await fireEvent.click(screen.getByRole('button', { name: 'Build…' }));
    await fireEvent.input(screen.getByRole('textbox', { name: 'Build context directory' }), { target: { value: ' /srv/app ' } });
    await fireEvent.input(screen.getByRole('textbox', { name: 'Tag for the built image' }), { target: { value: 'app:1' } });
    await fireEvent.submit(screen.getByRole('form', { name: 'Build an image' }));
    expect((await screen.findByTestId('build-output')).textContent).toBe('Step 1/1 : FROM busybox\nSuccessfully tagged app:1\n');
    expect(build.mock.calls[0][0]).toEqual({ Path: '/srv/app', Dockerfile: undefined, Tag: 'app:1', NoCache: false });
    expect((await screen.findByRole('status')).textContent).toContain('sha256:abc');
    expect(onbuilt).toHaveBeenCalled();
  });

  it('shows the build’s error as the daemon words it', async () => {
    const build = vi.fn(async () => { throw new ApiError(400, 'unable to prepare context: path "/nope" not found'); });
    render(BuildForm, { api: { build } as unknown as Api, onbuilt: () => {} });
    await fireEvent.click(screen.getByRole('button', { name: 'Build…' }));
    await fireEvent.input(screen.getByRole('textbox', { name: 'Build context directory' }), { target: { value: '/nope' } });
    await fireEvent.submit(screen.getByRole('form', { name: 'Build an image' }));
    expect((await screen.findByRole('alert')).textContent).toBe('unable to prepare context: path "/nope" not found');
  });
});
