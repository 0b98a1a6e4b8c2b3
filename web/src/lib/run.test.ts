import { describe, expect, it } from 'vitest';
import { dockerRun, emptyForm, parsePort, quote, splitWords, toRequest } from './run';

describe('splitWords', () => {
  it.each([
    ['echo hi', ['echo', 'hi']],
    [`sh -c 'echo "a b"; ls'`, ['sh', '-c', 'echo "a b"; ls']],
    [`a\\ b "c\\"d" ''`, ['a b', 'c"d', '']],
    ['  ', []],
  ])('%s', (s, want) => expect(splitWords(s)).toEqual(want));
  it('refuses an unterminated quote', () => expect(() => splitWords(`echo 'x`)).toThrow('unterminated'));
});

describe('parsePort', () => {
  it('reads the forms docker run -p takes', () => {
    expect(parsePort('80')).toEqual({ hostIp: '', hostPort: '', key: '80/tcp' });
    expect(parsePort('8080:80')).toEqual({ hostIp: '', hostPort: '8080', key: '80/tcp' });
    expect(parsePort('127.0.0.1:5353:53/udp')).toEqual({ hostIp: '127.0.0.1', hostPort: '5353', key: '53/udp' });
  });
  it.each(['x', '70000:80', '80/icmp', '1:2:3:4'])('refuses %s', (s) => expect(() => parsePort(s)).toThrow());
});

describe('toRequest and dockerRun', () => {
  const form = {
    ...emptyForm('busybox'),
    name: 'web',
    command: `sh -c 'httpd -f -p 80'`,
    ports: '8080:80, 127.0.0.1:9090:90',
    env: 'A=1\nB=two words\n',
    volumes: 'data:/data\n/srv:/srv:ro',
    restart: 'unless-stopped' as const,
  };

  it('makes the API request', () => {
    const { name, req } = toRequest(form);
    expect(name).toBe('web');
    expect(req).toEqual({
      Image: 'busybox',
      Cmd: ['sh', '-c', 'httpd -f -p 80'],
      Env: ['A=1', 'B=two words'],
      ExposedPorts: { '80/tcp': {}, '90/tcp': {} },
      HostConfig: {
        PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '90/tcp': [{ HostIp: '127.0.0.1', HostPort: '9090' }] },
        Binds: ['data:/data', '/srv:/srv:ro'],
        RestartPolicy: { Name: 'unless-stopped' },
      },
    });
  });

  it('prints the same container as a docker run command', () => {
    expect(dockerRun(form)).toBe(
      `docker run -d --name web -p 8080:80 -p 127.0.0.1:9090:90 -e A=1 -e 'B=two words' -v data:/data -v /srv:/srv:ro --restart unless-stopped busybox sh -c 'httpd -f -p 80'`,
    );
  });

  it('round-trips through a shell', () => {
    for (const w of ['', "it's", 'a b', '$HOME', 'plain']) expect(splitWords(quote(w))).toEqual([w]);
  });

  it('rejects what docker would', () => {
    expect(() => toRequest(emptyForm(''))).toThrow('image is required');
    expect(() => toRequest({ ...emptyForm('x'), env: 'NOEQUALS' })).toThrow('invalid environment variable');
    expect(() => toRequest({ ...emptyForm('x'), volumes: '/only' })).toThrow('invalid volume');
  });
});
