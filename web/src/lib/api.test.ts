import { describe, expect, it, vi } from 'vitest';
import { Api, ApiError, Demuxer, readJSONLines, splitRef, cpuPercent, type StatsSample } from './api';

function streamOf(...parts: (string | Uint8Array)[]): Response {
  const enc = new TextEncoder();
  return new Response(new ReadableStream({
    start(c) {
      for (const p of parts) c.enqueue(typeof p === 'string' ? enc.encode(p) : p);
      c.close();
    },
  }));
}

/** mock is a fetch answering with what r makes. */
const mock = (r: () => Response) => vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) => r());

function frame(stream: number, text: string): Uint8Array {
  const body = new TextEncoder().encode(text);
  const f = new Uint8Array(8 + body.length);
  f[0] = stream;
  new DataView(f.buffer).setUint32(4, body.length);
  f.set(body, 8);
  return f;
}

describe('Api', () => {
  it('sends the session as a bearer token to /api/', async () => {
    const fetch = mock(() => new Response('[]', { status: 200 }));
    await new Api('s3cret', fetch).containers();
    expect(fetch).toHaveBeenCalledWith('/api/containers/json?all=1', expect.objectContaining({ method: 'GET' }));
    const init = fetch.mock.calls[0][1]!;
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer s3cret');
  });

  it("throws docker's own error message", async () => {
    const fetch = mock(() => new Response(JSON.stringify({ message: 'No such container: nope' }), { status: 404 }));
    const err = await new Api('s', fetch).inspect('nope').catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(404);
    expect(err.message).toBe('No such container: nope');
  });

  it('takes a plain-text error body as the message', async () => {
    const fetch = mock(() => new Response('page not found\n', { status: 404 }));
    await expect(new Api('s', fetch).version()).rejects.toThrow('page not found');
  });

  it('posts JSON bodies and encodes names', async () => {
    const fetch = mock(() => new Response(JSON.stringify({ Id: 'abc', Warnings: [] }), { status: 201 }));
    await new Api('s', fetch).create({ Image: 'busybox' }, 'my web');
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/containers/create?name=my%20web');
    expect(init.body).toBe('{"Image":"busybox"}');
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
  });

  it('treats 204 and 304 as no body', async () => {
    const fetch = mock(() => new Response(null, { status: 204 }));
    await expect(new Api('s', fetch).start('x')).resolves.toBeUndefined();
  });

  it('demultiplexes logs of a container without a TTY', async () => {
    const all = new Uint8Array([...frame(1, 'out 1\n'), ...frame(2, 'err 1\n'), ...frame(1, 'out 2\n')]);
    const fetch = mock(() => streamOf(all.slice(0, 5), all.slice(5, 17), all.slice(17)));
    const got: [string, string][] = [];
    await new Api('s', fetch).logs('c', false, { follow: false }, (t, s) => got.push([s, t]));
    expect(got).toEqual([['stdout', 'out 1\n'], ['stderr', 'err 1\n'], ['stdout', 'out 2\n']]);
    expect(fetch.mock.calls[0][0]).toBe('/api/containers/c/logs?stdout=1&stderr=1&follow=0&tail=all&timestamps=0');
  });

  it('passes TTY logs through as they are', async () => {
    const fetch = mock(() => streamOf('hello ', 'world\r\n'));
    let text = '';
    await new Api('s', fetch).logs('c', true, { follow: true }, (t) => (text += t));
    expect(text).toBe('hello world\r\n');
  });

  it('streams events line by line', async () => {
    const fetch = mock(() => streamOf('{"Type":"container","Action":"start","Actor":{"ID":"a"},"ti', 'me":1}\n{"Type":"volume","Action":"create","Actor":{"ID":"v"},"time":2}\n'));
    const seen: string[] = [];
    await new Api('s', fetch).events((e) => seen.push(`${e.Type}/${e.Action}/${e.Actor.ID}`), undefined, 5);
    expect(seen).toEqual(['container/start/a', 'volume/create/v']);
    expect(fetch.mock.calls[0][0]).toBe('/api/events?since=5');
  });

  it('reports pull progress and throws a pull error', async () => {
    const ok = mock(() => streamOf('{"status":"Pulling from library/busybox","id":"latest"}\n{"status":"Downloading","id":"abc","progressDetail":{"current":5,"total":10}}\n'));
    const seen: unknown[] = [];
    await new Api('s', ok).pull('busybox', (p) => seen.push(p));
    expect(seen).toHaveLength(2);
    expect(ok.mock.calls[0][0]).toBe('/api/images/create?fromImage=busybox&tag=latest');
    const bad = mock(() => streamOf('{"error":"manifest unknown","errorDetail":{"message":"manifest unknown"}}\n'));
    await expect(new Api('s', bad).pull('nope:1', () => {})).rejects.toThrow('manifest unknown');
  });

  it('opens the exec websocket with the session as a subprotocol, not in the URL', () => {
    const made: { url: string; protocols: string[] }[] = [];
    class FakeWS {
      binaryType = '';
      constructor(url: string, protocols: string[]) {
        made.push({ url, protocols });
      }
    }
    vi.stubGlobal('WebSocket', FakeWS);
    new Api('tok').execSocket('e1', { protocol: 'http:', host: '127.0.0.1:7380' });
    vi.unstubAllGlobals();
    expect(made[0].url).toBe('ws://127.0.0.1:7380/ws/exec/e1');
    expect(made[0].protocols).toEqual(['wharf.exec', 'wharf.session.tok']);
  });
});

describe('prune', () => {
  it.each([
    ['images', false, '/api/images/prune?filters=' + encodeURIComponent('{"dangling":["true"]}')],
    ['images', true, '/api/images/prune?filters=' + encodeURIComponent('{"dangling":["false"]}')],
    ['volumes', true, '/api/volumes/prune?filters=' + encodeURIComponent('{"all":["true"]}')],
    ['networks', false, '/api/networks/prune?filters=' + encodeURIComponent('{}')],
  ] as const)('%s (all: %s)', async (kind, all, url) => {
    const fetch = mock(() => new Response('{}', { status: 200 }));
    await new Api('s', fetch).prune(kind, all);
    expect(fetch.mock.calls[0][0]).toBe(url);
    expect(fetch.mock.calls[0][1]!.method).toBe('POST');
  });
});

describe('Demuxer', () => {
  it('reassembles frames split at any byte', () => {
    const all = new Uint8Array([...frame(1, 'abc'), ...frame(2, ''), ...frame(1, 'de')]);
    for (let cut = 0; cut <= all.length; cut++) {
      const got: string[] = [];
      const d = new Demuxer((s, b) => got.push(`${s}:${new TextDecoder().decode(b)}`));
      d.push(all.slice(0, cut));
      d.push(all.slice(cut));
      expect(got).toEqual(['1:abc', '2:', '1:de']);
    }
  });
});

describe('readJSONLines', () => {
  it('reads a last value without a newline', async () => {
    const got: number[] = [];
    await readJSONLines<number>(streamOf('1\n2\n', '3'), (v) => got.push(v));
    expect(got).toEqual([1, 2, 3]);
  });
});

describe('splitRef', () => {
  it.each([
    ['busybox', 'busybox', 'latest'],
    ['busybox:1.36', 'busybox', '1.36'],
    ['127.0.0.1:5000/team/app', '127.0.0.1:5000/team/app', 'latest'],
    ['127.0.0.1:5000/team/app:v2', '127.0.0.1:5000/team/app', 'v2'],
    ['alpine@sha256:abc', 'alpine', 'sha256:abc'],
  ])('%s', (ref, name, tag) => expect(splitRef(ref)).toEqual({ name, tag }));
});

describe('cpuPercent', () => {
  it("is the docker CLI's formula", () => {
    const s = {
      cpu_stats: { cpu_usage: { total_usage: 300 }, system_cpu_usage: 2000, online_cpus: 2 },
      precpu_stats: { cpu_usage: { total_usage: 100 }, system_cpu_usage: 1000 },
    } as unknown as StatsSample;
    expect(cpuPercent(s)).toBeCloseTo(40);
  });
});
