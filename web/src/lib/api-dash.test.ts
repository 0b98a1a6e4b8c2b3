import { describe, expect, it, vi } from 'vitest';
import { Api, ApiError, type SwarmService } from './api';

const mock = (r: () => Response) => vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) => r());
const lines = (...vs: object[]) => vs.map((v) => JSON.stringify(v)).join('\n') + '\n';

describe('Api: the dashboard routes beside /api/', () => {
  it('runs compose up with the file and streams its output', async () => {
    const fetch = mock(() => new Response(lines({ stream: ' Network web_default  Creating\n' }, { stream: ' Container web-app-1  Started\n' })));
    let out = '';
    await new Api('s', fetch).composeUp('web', 'services: {}', '', (s) => (out += s));
    expect(fetch.mock.calls[0][0]).toBe('/compose/up');
    const init = fetch.mock.calls[0][1]!;
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer s');
    expect(JSON.parse(init.body as string)).toEqual({ Project: 'web', File: 'services: {}', Dir: '' });
    expect(out).toBe(' Network web_default  Creating\n Container web-app-1  Started\n');
  });

  it("throws compose's failure after its output", async () => {
    const fetch = mock(() => new Response(lines({ stream: 'pull access denied\n' }, { error: 'docker compose: exit status 1', errorDetail: { message: 'docker compose: exit status 1' } })));
    let out = '';
    const err = await new Api('s', fetch).composeDown('web', true, (s) => (out += s)).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toBe('docker compose: exit status 1');
    expect(out).toBe('pull access denied\n');
    expect(JSON.parse(fetch.mock.calls[0][1]!.body as string)).toEqual({ Project: 'web', Volumes: true });
  });

  it('lists and downloads volume files with the path encoded', async () => {
    const fetch = mock(() => new Response(JSON.stringify({ Path: '/a b', Entries: [] })));
    const api = new Api('s', fetch);
    expect((await api.volumeFiles('my vol', '/a b')).Path).toBe('/a b');
    expect(fetch.mock.calls[0][0]).toBe('/volumes/my%20vol/files?path=%2Fa%20b');
    const dl = mock(() => new Response('hello'));
    expect(await (await new Api('s', dl).volumeDownload('v', '/x&y')).text()).toBe('hello');
    expect(dl.mock.calls[0][0]).toBe('/volumes/v/download?path=%2Fx%26y');
  });

  it('refuses a path escape as the daemon words it', async () => {
    const fetch = mock(() => new Response(JSON.stringify({ message: 'invalid path "../x": .. is not allowed' }), { status: 400 }));
    await expect(new Api('s', fetch).volumeFiles('v', '../x')).rejects.toThrow('.. is not allowed');
  });

  it('inspects images, volumes and networks by their API paths', async () => {
    const fetch = mock(() => new Response('{}'));
    const api = new Api('s', fetch);
    await api.inspectAny('image', 'busybox:latest');
    await api.inspectAny('volume', 'v');
    await api.inspectAny('network', 'n');
    expect(fetch.mock.calls.map((c) => c[0])).toEqual(['/api/images/busybox%3Alatest/json', '/api/volumes/v', '/api/networks/n']);
  });

  it('scales a service with its version and the rest of its spec', async () => {
    const fetch = mock(() => new Response('{}'));
    const svc = { ID: 'abc', Version: { Index: 7 }, Spec: { Name: 'web', Mode: { Replicated: { Replicas: 2 } }, TaskTemplate: { ContainerSpec: { Image: 'busybox' } }, Labels: { a: 'b' } } } as SwarmService;
    await new Api('s', fetch).scale(svc, 5);
    expect(fetch.mock.calls[0][0]).toBe('/api/services/abc/update?version=7');
    expect(JSON.parse(fetch.mock.calls[0][1]!.body as string)).toEqual({ ...svc.Spec, Mode: { Replicated: { Replicas: 5 } } });
  });
});

describe('Api: docker load', () => {
  it('uploads the archive as it is and reads the loaded names', async () => {
    const fetch = mock(() => new Response(lines({ stream: 'Loaded image: busybox:latest\n' })));
    let out = '';
    const tar = new Blob(['tar bytes']);
    await new Api('s', fetch).loadImage(tar, (s) => (out += s));
    expect(fetch.mock.calls[0][0]).toBe('/api/images/load');
    expect(fetch.mock.calls[0][1]!.body).toBe(tar);
    expect(out).toBe('Loaded image: busybox:latest\n');
  });

  it("throws the daemon's stream error", async () => {
    const fetch = mock(() => new Response(lines({ error: 'unexpected EOF', errorDetail: { message: 'unexpected EOF' } })));
    await expect(new Api('s', fetch).loadImage(new Blob([]), () => {})).rejects.toThrow('unexpected EOF');
  });
});

describe('Api: build from a host directory, push', () => {
  it('sends the directory to the dashboard’s build route and streams the output', async () => {
    const fetch = mock(() => new Response(lines({ stream: 'Step 1/2 : FROM busybox\n' }, { aux: { ID: 'sha256:abc' } }, { stream: 'Successfully built abc\n' })));
    let out = '';
    const id = await new Api('s', fetch).build({ Path: '/srv/app', Tag: 'app:1' }, (s) => (out += s));
    expect(fetch.mock.calls[0][0]).toBe('/images/build');
    expect(JSON.parse(fetch.mock.calls[0][1]!.body as string)).toEqual({ Path: '/srv/app', Tag: 'app:1' });
    expect(out).toBe('Step 1/2 : FROM busybox\nSuccessfully built abc\n');
    expect(id).toBe('sha256:abc');
  });

  it('throws a failed build’s error after its output', async () => {
    const fetch = mock(() => new Response(lines({ stream: 'Step 1/1 : RUN false\n' }, { error: "The command '/bin/sh -c false' returned a non-zero code: 1", errorDetail: { message: "The command '/bin/sh -c false' returned a non-zero code: 1" } })));
    let out = '';
    await expect(new Api('s', fetch).build({ Path: '/srv/app' }, (s) => (out += s))).rejects.toThrow('returned a non-zero code: 1');
    expect(out).toBe('Step 1/1 : RUN false\n');
  });

  it('pushes name and tag apart, with empty credentials, and streams progress', async () => {
    const fetch = mock(() => new Response(lines({ status: 'Pushing', id: 'abc', progressDetail: { current: 1, total: 2 } }, { status: '1: digest: sha256:d size: 527' })));
    const seen: string[] = [];
    await new Api('s', fetch).push('127.0.0.1:5000/team/app:1', (p) => seen.push(p.status ?? ''));
    expect(fetch.mock.calls[0][0]).toBe('/api/images/127.0.0.1%3A5000%2Fteam%2Fapp/push?tag=1');
    const h = fetch.mock.calls[0][1]!.headers as Record<string, string>;
    expect(atob(h['X-Registry-Auth'])).toBe('{}');
    expect(h.Authorization).toBe('Bearer s');
    expect(seen).toEqual(['Pushing', '1: digest: sha256:d size: 527']);
  });

  it('throws a push error in the daemon’s words', async () => {
    const fetch = mock(() => new Response(lines({ error: 'An image does not exist locally with the tag: x', errorDetail: { message: 'An image does not exist locally with the tag: x' } })));
    await expect(new Api('s', fetch).push('x', () => {})).rejects.toThrow('An image does not exist locally with the tag: x');
  });
});
