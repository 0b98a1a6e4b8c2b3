// The run form's model: what the user typed, the API request it makes,
// and the `docker run` command that would make the same container.
import type { CreateContainerRequest } from './api';

export interface RunForm {
  image: string;
  name: string;
  command: string; // as typed in a shell: split on spaces, quotes respected
  ports: string; // "8080:80, 127.0.0.1:5353:53/udp"
  env: string; // one KEY=value a line
  volumes: string; // one source:target[:ro] a line
  restart: '' | 'always' | 'unless-stopped' | 'on-failure';
  tty: boolean;
}

export function emptyForm(image = ''): RunForm {
  return { image, name: '', command: '', ports: '', env: '', volumes: '', restart: '', tty: false };
}

/** splitWords splits a command line as a POSIX shell would, quotes and backslashes included. */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '' | '"' | "'" = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\\' && quote === '"' && i + 1 < s.length && '"\\$`'.includes(s[i + 1])) cur += s[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new Error('unterminated quote in command');
  if (inWord) words.push(cur);
  return words;
}

/** quote renders a word for a POSIX shell, quoting only when needed. */
export function quote(w: string): string {
  if (w !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(w)) return w;
  return "'" + w.replace(/'/g, `'\\''`) + "'";
}

function lines(s: string, sep = /\n/): string[] {
  return s.split(sep).map((l) => l.trim()).filter(Boolean);
}

interface PortSpec {
  hostIp: string;
  hostPort: string;
  key: string; // "80/tcp"
}

/** parsePort reads [ip:]hostPort:containerPort[/proto] or containerPort[/proto]. */
export function parsePort(spec: string): PortSpec {
  const [addr, proto = 'tcp'] = spec.split('/');
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new Error(`invalid proto: ${proto}`);
  const parts = addr.split(':');
  let hostIp = '';
  let hostPort = '';
  let cport: string;
  if (parts.length === 1) [cport] = parts;
  else if (parts.length === 2) [hostPort, cport] = parts;
  else if (parts.length === 3) [hostIp, hostPort, cport] = parts;
  else throw new Error(`invalid port: ${spec}`);
  const valid = (p: string) => /^\d+$/.test(p) && +p > 0 && +p < 65536;
  if (!valid(cport) || (hostPort !== '' && !valid(hostPort))) throw new Error(`invalid port: ${spec}`);
  return { hostIp, hostPort, key: `${cport}/${proto}` };
}

/** toRequest turns the form into the API's create request and name; it throws on bad input. */
export function toRequest(f: RunForm): { name: string; req: CreateContainerRequest } {
  if (!f.image.trim()) throw new Error('an image is required');
  const req: CreateContainerRequest = { Image: f.image.trim(), HostConfig: {} };
  const cmd = splitWords(f.command);
  if (cmd.length) req.Cmd = cmd;
  const env = lines(f.env);
  for (const e of env) if (!/^[^=\s]+=/.test(e)) throw new Error(`invalid environment variable: ${e} (want KEY=value)`);
  if (env.length) req.Env = env;
  const ports = lines(f.ports, /[,\n]/).map(parsePort);
  if (ports.length) {
    req.ExposedPorts = {};
    req.HostConfig!.PortBindings = {};
    for (const p of ports) {
      req.ExposedPorts[p.key] = {};
      (req.HostConfig!.PortBindings[p.key] ??= []).push({ HostIp: p.hostIp, HostPort: p.hostPort });
    }
  }
  const binds = lines(f.volumes);
  for (const b of binds) if (b.split(':').length < 2) throw new Error(`invalid volume: ${b} (want source:target[:ro])`);
  if (binds.length) req.HostConfig!.Binds = binds;
  if (f.restart) req.HostConfig!.RestartPolicy = { Name: f.restart };
  if (f.tty) {
    req.Tty = true;
    req.OpenStdin = true;
  }
  return { name: f.name.trim(), req };
}

/** dockerRun is the command line that creates the same container, started and detached. */
export function dockerRun(f: RunForm): string {
  const args = ['docker', 'run', '-d'];
  if (f.tty) args.push('-it');
  if (f.name.trim()) args.push('--name', f.name.trim());
  for (const p of lines(f.ports, /[,\n]/)) args.push('-p', p);
  for (const e of lines(f.env)) args.push('-e', e);
  for (const v of lines(f.volumes)) args.push('-v', v);
  if (f.restart) args.push('--restart', f.restart);
  args.push(f.image.trim() || 'IMAGE');
  let cmd: string[] = [];
  try {
    cmd = splitWords(f.command);
  } catch {
    cmd = [f.command];
  }
  return args.concat(cmd).map(quote).join(' ');
}
