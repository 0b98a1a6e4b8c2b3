#!/usr/bin/env python3
"""The SDK tests' expectations (issue 15, points 3, 5, 6, 8, 9), run with
the clients users run: python3-docker 5.0.3 at API 1.41, docker-compose
1.29 and raw HTTP/1.0. Run against Debian's dockerd 20.10 (the oracle; see
run-dockerd.sh) and against wharfd (TestSDKOracleScript); both must pass.
Where the two differ on purpose the check says so and accepts both.
Needs a "busybox" image with a "daemon" group on the daemon.
Usage: sdk_checks.py /path/to/docker.sock
"""
import io, json, os, re, socket, subprocess, sys, tarfile, tempfile, time, uuid

sys.path.insert(0, "/usr/lib/python3/dist-packages")  # Debian's python3-docker first
import docker
from docker.utils.socket import frames_iter

SOCK = sys.argv[1] if len(sys.argv) > 1 else os.environ["DOCKER_SOCK"]
ORACLE = os.environ.get("ORACLE", "")
client = docker.DockerClient(base_url="unix://" + SOCK, version="1.41", timeout=60)
api = client.api
failures = []
tag = "oracle" + uuid.uuid4().hex[:8]
made = []  # containers to remove at the end


def check(what, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else ": " + str(detail)[:600]))
    if not ok:
        failures.append(what)


def says(what, fn, want):
    got = apierror(fn)
    check(what, got == want, got)


def apierror(fn):
    try:
        fn()
        return "no error"
    except docker.errors.APIError as e:
        return "%d %s" % (e.status_code, e.explanation)


def run(cmd, **kw):
    c = client.containers.create("busybox", cmd, **kw)
    made.append(c.id)
    c.start()
    c.reload()
    return c


def build_stream(dockerfile, **kw):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tw:
        data = dockerfile.encode()
        ti = tarfile.TarInfo("Dockerfile")
        ti.size = len(data)
        tw.addfile(ti, io.BytesIO(data))
    buf.seek(0)
    return list(api.build(fileobj=buf, custom_context=True, decode=True, **kw))


def shape(msgs):
    """Messages with IDs replaced by <id> and <sha>."""
    out = []
    for m in msgs:
        s = json.dumps(m, sort_keys=True)
        s = re.sub(r"sha256:[0-9a-f]{64}", "<sha>", s)
        s = re.sub(r"\b[0-9a-f]{12}\b", "<id>", s)
        out.append(s)
    return out


# Point 3: the classic builder's stream.
# The RUN step is the run's own, so that no earlier build caches it.
df = "FROM busybox\nRUN echo " + tag + " && echo err >&2\nENV A=" + tag + "\n"
want = [
    '{"stream": "Step 1/3 : FROM busybox"}', '{"stream": "\\n"}',
    '{"stream": " ---> <id>\\n"}',
    '{"stream": "Step 2/3 : RUN echo ' + tag + ' && echo err >&2"}', '{"stream": "\\n"}',
    '{"stream": " ---> Running in <id>\\n"}',
    '{"stream": "' + tag + '\\n"}',
    '{"stream": "\\u001b[91merr\\n\\u001b[0m"}',
    '{"stream": " ---> <id>\\n"}',
    '{"stream": "Step 3/3 : ENV A=' + tag + '"}', '{"stream": "\\n"}',
    '{"stream": " ---> <id>\\n"}',
    '{"aux": {"ID": "<sha>"}}',
    '{"stream": "Successfully built <id>\\n"}',
    '{"stream": "Successfully tagged ' + tag + ':latest\\n"}',
]
got = shape(build_stream(df, tag=tag))
# dockerd runs a container for ENV too ("Running in"); wharfd commits metadata steps without one,
# which saves a container per step and shows nothing a client reads.
# python3-docker sends rm=0: no "Removing intermediate container" (wharfd
# removes them all the same).
env_step = want.index('{"stream": "Step 3/3 : ENV A=' + tag + '"}') + 1
dockerd_env = want[: env_step + 1] + ['{"stream": " ---> Running in <id>\\n"}'] + want[env_step + 1 :]
# dockerd copies RUN's stdout and stderr apart, so their order may swap.
out_at = want.index('{"stream": "' + tag + '\\n"}')
swapped = [dockerd_env[: out_at] + [dockerd_env[out_at + 1], dockerd_env[out_at]] + dockerd_env[out_at + 2 :]] if ORACLE else []
check("build stream", got in [want, dockerd_env] + swapped, "\n".join(got))
got = shape(build_stream(df, tag=tag))
want_cached = [
    '{"stream": "Step 1/3 : FROM busybox"}', '{"stream": "\\n"}',
    '{"stream": " ---> <id>\\n"}',
    '{"stream": "Step 2/3 : RUN echo ' + tag + ' && echo err >&2"}', '{"stream": "\\n"}',
    '{"stream": " ---> Using cache\\n"}',
    '{"stream": " ---> <id>\\n"}',
    '{"stream": "Step 3/3 : ENV A=' + tag + '"}', '{"stream": "\\n"}',
    '{"stream": " ---> Using cache\\n"}',
    '{"stream": " ---> <id>\\n"}',
    '{"aux": {"ID": "<sha>"}}',
    '{"stream": "Successfully built <id>\\n"}',
    '{"stream": "Successfully tagged ' + tag + ':latest\\n"}',
]
check("build stream from the cache", got == want_cached, "\n".join(got))
got = shape(build_stream(df, tag=tag, quiet=True))
check("quiet build: the ID alone", got == ['{"stream": "<sha>\\n"}'], got)
msgs = build_stream("FROM busybox\nRUN exit 3\n")
m = "The command '/bin/sh -c exit 3' returned a non-zero code: 3"
check("failed RUN ends with errorDetail and its exit code", msgs and msgs[-1] == {"errorDetail": {"code": 3, "message": m}, "error": m}, msgs[-1:])
client.images.remove(tag)

# Point 5: exec and attach streams.
c = run("sleep 300")
e = api.exec_create(c.id, "echo hi", tty=True)
check("TTY exec started without tty: demultiplexed", api.exec_start(e["Id"]) == b"hi\r\n")
e = api.exec_create(c.id, "echo hi", tty=True)
check("TTY exec started with tty: raw", api.exec_start(e["Id"], tty=True) == b"hi\r\n")
r = c.exec_run("echo hi", tty=True)
check("exec_run(tty=True)", (r.exit_code, r.output) == (0, b"hi\r\n"), r)
e = api.exec_create(c.id, "sleep 5")
t0 = time.time()
out = api.exec_start(e["Id"], detach=True)
check("detached exec start: empty at once, running", out in (b"", "") and time.time() - t0 < 2 and api.exec_inspect(e["Id"])["Running"], (out, time.time() - t0))
for tty, want in ((False, b"ping\n"), (True, b"ping\r\nping\r\n")):
    e = api.exec_create(c.id, "head -n1", stdin=True, tty=tty)
    s = api.exec_start(e["Id"], socket=True, tty=tty)
    s._sock.sendall(b"ping\n")
    data = b"".join(d for _, d in frames_iter(s, tty))
    s.close()
    check("exec_start(socket=True) tty=%s" % tty, data == want and api.exec_inspect(e["Id"])["ExitCode"] == 0, data)
a = run(["sh", "-c", "echo hello; echo err >&2; sleep 300"])
for _ in range(50):
    if b"err" in a.logs():
        break
    time.sleep(0.1)
got = [api.attach(a.id, stream=False, logs=True) for _ in range(3)]
# dockerd 20.10 replays stderr ahead of stdout and then, racing its close,
# often nothing at all; wharfd replays in order, every time.
check("attach(logs, no stream) replays and ends", got == [b"hello\nerr\n"] * 3 or ORACLE and all(g in (b"", b"hello\nerr\n", b"err\nhello\n") for g in got), got)
got = api.attach(a.id, stream=False, logs=True, stderr=False)
check("attach(logs, no stream, no stderr)", got == b"hello\n" or ORACLE and got in (b"", b"hello\n"), got)
for cmd, code in (("/etc/passwd", 126), ("nosuchcmd", 127)):
    # dockerd 20.10 answers 126 for a missing command in exec too (the
    # issue asks 127, as run does, and as the shell does).
    ok = (code, 126) if ORACLE and cmd == "nosuchcmd" else (code,)
    check("exec of %s exits %d" % (cmd, code), c.exec_run(cmd).exit_code in ok, c.exec_run(cmd))
    x = client.containers.create("busybox", cmd)
    made.append(x.id)
    try:
        x.start()
    except docker.errors.APIError:
        pass
    x.reload()
    check("run of %s: ExitCode %d" % (cmd, code), x.attrs["State"]["ExitCode"] == code, x.attrs["State"])

# Point 6: options.
says("restart policy on-failure -1", lambda: client.containers.create("busybox", "true", restart_policy={"Name": "on-failure", "MaximumRetryCount": -1}),
     "400 maximum retry count cannot be negative")
says("restart policy always with a count", lambda: client.containers.create("busybox", "true", restart_policy={"Name": "always", "MaximumRetryCount": 3}),
     "400 maximum retry count cannot be used with restart policy 'always'")
g = run("sleep 300", group_add=["1234", "daemon"])
check("group_add: id -G", sorted(g.exec_run("id -G").output.decode().split()) == ["0", "1", "1234"], g.exec_run("id -G"))
check("group_add in exec -u nobody", sorted(g.exec_run("id -G", user="nobody").output.decode().split()) == ["1", "1234", "65534"], g.exec_run("id -G", user="nobody"))
d = run("sleep 300", devices=["/dev/null:/dev/mynull:rwm"])
check("devices", d.exec_run("sh -c 'ls -l /dev/mynull | cut -c1; echo hi > /dev/mynull && echo written'").output == b"c\nwritten\n")
probe = "sh -c 'mknod /tmp/f c 10 229 && (exec 3</tmp/f) 2>/dev/null && echo opened || echo refused'"
check("no device cgroup rule: refused", run("sleep 300").exec_run(probe).output == b"refused\n")
check("device_cgroup_rules: opened", run("sleep 300", device_cgroup_rules=["c 10:229 rwm"]).exec_run(probe).output == b"opened\n")
# dockerd 20.10 takes it at create and fails the start; wharfd refuses it
# at once, with the words of its start error.
got = apierror(lambda: made.append(client.containers.create("busybox", "true", device_cgroup_rules=["x 1:2 r"]).id))
check("bad device cgroup rule", got == "400 invalid device cgroup rule format: 'x 1:2 r'" or ORACLE and got == "no error", got)
mc = run("sleep 300", mac_address="02:42:ac:11:00:99")
check("mac_address", mc.exec_run("cat /sys/class/net/eth0/address").output == b"02:42:ac:11:00:99\n"
      and api.inspect_container(mc.id)["NetworkSettings"]["Networks"]["bridge"]["MacAddress"] == "02:42:ac:11:00:99")
net = client.networks.create(tag, check_duplicate=True, options={"com.docker.network.driver.mtu": "1400"},
                             ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet="10.213.7.0/28", gateway="10.213.7.14",
                                                                                              aux_addresses={"r1": "10.213.7.1", "r2": "10.213.7.2"})]))
try:
    says("check_duplicate", lambda: api.create_network(tag, check_duplicate=True), "409 network with name %s already exists" % tag)
    web = run("sleep 300", name=tag + "-web", network=tag)
    ip = api.inspect_container(web.id)["NetworkSettings"]["Networks"][tag]["IPAddress"]
    check("IPAM: aux addresses skipped, gateway and MTU used", ip == "10.213.7.3" and web.exec_run("cat /sys/class/net/eth0/mtu").output == b"1400\n"
          and web.exec_run("ip route").output.decode().startswith("default via 10.213.7.14 dev eth0"), (ip, web.exec_run("ip route").output))
    c2 = run("sleep 300", network=tag)
    api.disconnect_container_from_network(c2.id, tag)
    api.connect_container_to_network(c2.id, tag, links=[(tag + "-web", "webalias")])
    check("connect with links: the alias resolves", c2.exec_run("ping -c1 -W2 webalias").exit_code == 0)
    check("another container does not resolve it", run("sleep 300", network=tag).exec_run("ping -c1 -W1 webalias").exit_code != 0)
    # Issue 15's first leftover: a container on the default bridge
    # connected to a user network resolves that network's names.
    b = run("sleep 300")
    net.connect(b)
    check("default bridge + connect: names resolve", b.exec_run("ping -c1 -W2 " + tag + "-web").exit_code == 0, b.exec_run("cat /etc/resolv.conf").output)
    # A legacy link from the default bridge needs its target there too.
    # dockerd answers 500 (a plain error), wharfd 400: the user's mistake.
    got = apierror(lambda: run("true", links={tag + "-web": "foo"}))
    check("link to a container off the default bridge", got == ("500 " if ORACLE else "400 ") + "Cannot link to /%s-web, as it does not belong to the default network" % tag, got)
    run("sleep 300", name=tag + "-dflt")
    parent = run("sleep 300", links={tag + "-dflt": "foo"})
    api.remove_container("/%s/foo" % parent.name, link=True)
    check("rm --link", api.inspect_container(parent.id)["HostConfig"]["Links"] is None)
    check("second rm --link: 404", apierror(lambda: api.remove_container("/%s/foo" % parent.name, link=True)).startswith("404 "))
finally:
    for cid in made:
        try:
            api.remove_container(cid, force=True)
        except docker.errors.APIError:
            pass
    made.clear()
    net.remove()

# Point 6's class, options silently ignored, and point 7's, errors in
# docker's words (found walking python3-docker's calls against both).
# Host settings at the body's top level (moby's ContainerConfigWrapper):
# create_container(runtime=...) sends Runtime there. 20.10's words, then
# engine 23's.
got = apierror(lambda: made.append(api.create_container("busybox", "true", runtime="nosuch")["Id"]))
check("top-level Runtime is read", got in ("400 Unknown runtime specified nosuch", "400 unknown or invalid runtime name: nosuch"), got)
got = apierror(lambda: made.append(api.create_container("busybox", "true", host_config=api.create_host_config(isolation="hyperv"))["Id"]))
check("isolation refused", got == ("500 " if ORACLE else "400 ") + "Invalid isolation: \"hyperv\" - linux only supports 'default'", got)
says("cpuset checked", lambda: made.append(api.create_container("busybox", "true", host_config=api.create_host_config(cpuset_cpus="abc"))["Id"]),
     "400 Invalid value abc for cpuset cpus: invalid format: abc")
got = apierror(lambda: api.prune_networks(filters={"bogus": "x"}))
check("network prune checks its filters", got.lower() == "400 invalid filter 'bogus'", got)
got = apierror(lambda: api.create_container("UPPER", "true"))
check("bad reference: docker's words, once", got.startswith("400 invalid reference format: repository name") and got.count("invalid reference format") == 1, got)
x = api.create_container("busybox", "true")
made.append(x["Id"])
got = apierror(lambda: api.unpause(x["Id"]))
check("unpause of a container not paused", got == ("500 " if ORACLE else "409 ") + "Container %s is not paused" % x["Id"], got)
says("volume of an unknown driver", lambda: api.create_volume(tag + "-vol", driver="nosuch"),
     '404 create %s-vol: error looking up volume plugin nosuch: plugin "nosuch" not found' % tag)
says("tag of a missing image names its tag", lambda: api.tag("nosuch" + tag, "x"), "404 No such image: nosuch%s:latest" % tag)
says("history of a missing image", lambda: api.history("nosuch" + tag), "404 No such image: nosuch%s:latest" % tag)
check("system df at 1.41 has BuilderSize", "BuilderSize" in api.df(), sorted(api.df()))
for cid in made:
    api.remove_container(cid, force=True)
made.clear()

# Point 6: IPv6 on a user bridge, through python3-docker.
n6 = client.networks.create(tag + "-v6", enable_ipv6=True, ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet="fd00:5dc:99::/64")]))
try:
    a6 = client.containers.create("busybox", "sleep 300", network=tag + "-v6")
    made.append(a6.id)
    api.disconnect_container_from_network(a6.id, n6.id)
    api.connect_container_to_network(a6.id, n6.id, ipv6_address="fd00:5dc:99::100")
    a6.start()
    b6 = run("sleep 300", network=tag + "-v6")
    ins = api.inspect_network(n6.id)
    ep = api.inspect_container(a6.id)["NetworkSettings"]["Networks"][tag + "-v6"]
    check("IPv6 network and endpoint", ins["EnableIPv6"] and ep["GlobalIPv6Address"] == "fd00:5dc:99::100" and ep["GlobalIPv6PrefixLen"] == 64
          and ep["IPv6Gateway"] == "fd00:5dc:99::1", (ins["EnableIPv6"], ins["IPAM"], ep))
    check("containers reach each other over IPv6", b6.exec_run("ping -6 -c1 -W2 fd00:5dc:99::100").exit_code == 0, b6.exec_run("ip -6 addr"))
finally:
    for cid in made:
        api.remove_container(cid, force=True)
    made.clear()
    n6.remove()

# IPv6, the rest of the class: a v6 gateway and aux address of the user's,
# AAAA answers from the embedded DNS, v6 lines in /etc/hosts, and a
# connect of a running container adding its lines there.
n6 = client.networks.create(tag + "-v6b", enable_ipv6=True, ipam=docker.types.IPAMConfig(pool_configs=[
    docker.types.IPAMPool(subnet="10.219.7.0/24"), docker.types.IPAMPool(subnet="fd00:5dc:98::/64", gateway="fd00:5dc:98::fe", aux_addresses={"r6": "fd00:5dc:98::2"})]))
try:
    cfg = api.inspect_network(n6.id)["IPAM"]["Config"]
    check("IPAM config shown as given (no chosen gateway)", cfg[0] == {"Subnet": "10.219.7.0/24"}
          and cfg[1] == {"Subnet": "fd00:5dc:98::/64", "Gateway": "fd00:5dc:98::fe", "AuxiliaryAddresses": {"r6": "fd00:5dc:98::2"}}, cfg)
    a6 = run("sleep 300", name=tag + "-a6", network=tag + "-v6b")
    b6 = run("sleep 300", network=tag + "-v6b")
    ip6 = lambda c: api.inspect_container(c.id)["NetworkSettings"]["Networks"][tag + "-v6b"]
    check("IPv6 gateway of the user's; aux address skipped", (ip6(a6)["GlobalIPv6Address"], ip6(b6)["GlobalIPv6Address"], ip6(a6)["IPv6Gateway"])
          == ("fd00:5dc:98::1", "fd00:5dc:98::3", "fd00:5dc:98::fe"), (ip6(a6), ip6(b6)))
    got = b6.exec_run("nslookup -type=AAAA %s-a6" % tag).output.decode()
    check("AAAA from the embedded DNS", "Address: fd00:5dc:98::1" in got and "10.219.7." not in got.split("Name:")[-1], got)
    got = b6.exec_run("nslookup -type=A %s-a6" % tag).output.decode()
    check("A from the embedded DNS on an IPv6 network", "Address: 10.219.7.2" in got and "fd00" not in got.split("Name:")[-1], got)
    check("ping6 by name", b6.exec_run("ping -6 -c1 -W2 %s-a6" % tag).exit_code == 0, b6.exec_run("ping -6 -c1 -W2 %s-a6" % tag))
    hosts = b6.exec_run("cat /etc/hosts").output.decode()
    check("IPv6 address in /etc/hosts", hosts.endswith("10.219.7.3\t%s\nfd00:5dc:98::3\t%s\n" % (b6.id[:12], b6.id[:12])), hosts)
    c6 = run("sleep 300")
    api.connect_container_to_network(c6.id, n6.id, ipv6_address="fd00:5dc:98::55")
    hosts = c6.exec_run("cat /etc/hosts").output.decode()
    check("connect adds the new addresses to /etc/hosts", hosts.endswith("\t%s\n10.219.7.4\t%s\nfd00:5dc:98::55\t%s\n" % (c6.id[:12], c6.id[:12], c6.id[:12])), hosts)
    check("connect --ip6 of a running container", c6.exec_run("ip -6 addr show eth1").output.decode().count("fd00:5dc:98::55/64") == 1)
finally:
    for cid in made:
        api.remove_container(cid, force=True)
    made.clear()
    n6.remove()

# Issue 15's open oracle differences. dockerd answers 500 for some user
# mistakes; wharfd 400 (the script takes 20.10's status from it alone).
e500 = "500 " if ORACLE else "400 "
for name, subnet, gw, rng, want in (
        ("subnet", "10.0.0.0/33", None, None, "Invalid subnet 10.0.0.0/33 : invalid CIDR address: 10.0.0.0/33"),
        ("subnet", "notasubnet", None, None, "Invalid subnet notasubnet : invalid CIDR address: notasubnet"),
        ("gateway", "10.0.9.0/24", "bad", None, "invalid gateway address bad in Ipam configuration"),
        ("ip range", "10.0.9.0/24", None, "x", 'failed to parse pool request for address space "LocalDefault" pool "10.0.9.0/24" subpool "x": Invalid Address SubPool')):
    says("bad IPAM %s %s" % (name, gw or rng or subnet), lambda: client.networks.create(tag + "-bad", ipam=docker.types.IPAMConfig(pool_configs=[
        docker.types.IPAMPool(subnet=subnet, gateway=gw, iprange=rng)])), e500 + want)
says("pid_mode container:nosuch", lambda: made.append(api.create_container("busybox", "true", host_config=api.create_host_config(pid_mode="container:nosuch" + tag))["Id"]),
     "400 No such container: nosuch" + tag)
says("storage_opt size", lambda: made.append(api.create_container("busybox", "true", host_config=api.create_host_config(storage_opt={"size": "1G"}))["Id"]),
     e500 + "--storage-opt is supported only for overlay over xfs with 'pquota' mount option")
says("unknown log driver", lambda: made.append(api.create_container("busybox", "true", host_config=api.create_host_config(log_config={"Type": "nosuch"}))["Id"]),
     '400 error looking up logging plugin nosuch: plugin "nosuch" not found')
x = api.create_container("busybox", "sleep 300")
made.append(x["Id"])
y = api.create_container("busybox", "true", name=tag + "-y")
made.append(y["Id"])
says("rename to a taken name", lambda: api.rename(x["Id"], tag + "-y"),
     '409 Error when allocating new name: Conflict. The container name "/%s-y" is already in use by container "%s". You have to remove (or rename) that container to be able to reuse that name.' % (tag, y["Id"]))
says("rename to a bad name", lambda: api.rename(x["Id"], "a b"), "400 Error when allocating new name: Invalid container name (/a b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
says("update below the memory minimum", lambda: api.update_container(x["Id"], mem_limit="10k"), "400 Minimum memory limit allowed is 6MB")
says("update restart always with a count", lambda: api.update_container(x["Id"], restart_policy={"Name": "always", "MaximumRetryCount": 2}),
     "400 maximum retry count cannot be used with restart policy 'always'")
st = api.stats(x["Id"], stream=False)
check("stats of a stopped container: no os_type", "os_type" not in st and st["id"] == x["Id"], sorted(st))
api.start(x["Id"])
st = api.stats(x["Id"], stream=False)
check("stats of a running container: no os_type (dockerd sets it on Windows only)", "os_type" not in st and "memory_stats" in st, sorted(st))
got = apierror(lambda: api.top(x["Id"], ps_args="--nosuch"))
check("top with bad ps args: ps's words", got == e500 + "ps: error: unknown gnu long option", got)
says("commit with a bad change", lambda: api.commit(x["Id"], repository=tag + "img", changes=["BOGUS x"]), "400 bogus is not a valid change command")
info = api.info()
check("info at 1.41: KernelMemory, no CDISpecDirs", "KernelMemory" in info and "KernelMemoryTCP" in info and "CDISpecDirs" not in info, sorted(info))
nc = api.create_network(tag + "-nc")
got = apierror(lambda: api.disconnect_container_from_network(x["Id"], nc["Id"]))
api.remove_network(nc["Id"])
check("disconnect of a container not connected names it by id", got == ("500 " if ORACLE else "403 ") + "container %s is not connected to network %s-nc" % (x["Id"], tag), got)
says("create of a predefined network", lambda: api.create_network("host"), "403 operation is not permitted on predefined host network ")
says("relative tmpfs path", lambda: made.append(api.create_container("busybox", "true", host_config=api.create_host_config(tmpfs={"relative": ""}))["Id"]),
     "400 invalid mount path: 'relative' mount path must be absolute")
says("unknown capability", lambda: made.append(api.create_container("busybox", "true", host_config=api.create_host_config(cap_add=["NOSUCH"]))["Id"]),
     '400 invalid CapAdd: unknown capability: "CAP_NOSUCH"')
nets = api.networks(names=["bridge"])
check("networks at 1.41: no EnableIPv4", nets and "EnableIPv4" not in nets[0] and "EnableIPv4" not in api.inspect_network(nets[0]["Id"]), nets)
p = api.create_container("busybox", "sleep 300", host_config=api.create_host_config(pid_mode="container:" + x["Id"]))
made.append(p["Id"])
api.start(p["Id"])
got = api.exec_start(api.exec_create(p["Id"], "sh -c 'ps -o comm | grep -c sleep'")["Id"])
check("pid_mode container: sees the target's processes", got == b"2\n", got)
v = api.version()
check("/version has BuildTime", bool(v.get("BuildTime")) and v["Components"][0]["Details"].get("BuildTime") == v["BuildTime"], v)
for cid in made:
    api.remove_container(cid, force=True)
made.clear()

# Point 8: a stream to an HTTP/1.0 client ends by closing.
q = run(["sh", "-c", "echo one; echo two; sleep 300"])
time.sleep(1)
s = socket.socket(socket.AF_UNIX)
s.connect(SOCK)
s.settimeout(20)
s.sendall(b"GET /v1.41/containers/%s/logs?stdout=1 HTTP/1.0\r\nHost: d\r\n\r\n" % q.id.encode())
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
s.close()
head, _, body = data.partition(b"\r\n\r\n")
check("HTTP/1.0 logs: not chunked, closed", b"chunked" not in head.lower() and b"one\n" in body and b"two\n" in body, data[:300])
api.remove_container(q.id, force=True)

# Point 9: docker-compose 1.29 (logs -f ends; down --rmi local).
if os.path.exists("/usr/bin/docker-compose"):
    d = tempfile.mkdtemp()
    env = dict(os.environ, DOCKER_HOST="unix://" + SOCK, COMPOSE_PROJECT_NAME=tag, DOCKER_BUILDKIT="0", COMPOSE_DOCKER_CLI_BUILD="0")
    with open(d + "/Dockerfile", "w") as f:
        f.write("FROM busybox\nRUN echo %s > /built\n" % tag)
    with open(d + "/docker-compose.yml", "w") as f:
        f.write("services:\n  a:\n    image: busybox\n    command: sh -c 'echo from-a; sleep 2'\n"
                "  web:\n    build: .\n    command: sh -c 'echo from-web'\n")

    def compose(*args, timeout=60):
        return subprocess.run(["docker-compose", *args], cwd=d, env=env, capture_output=True, text=True, timeout=timeout)

    try:
        compose("up", "-d", "--build", timeout=120)
        t0 = time.time()
        r = compose("logs", "-f")
        check("compose 1.29 logs -f ends", r.returncode == 0 and "from-a" in r.stdout and "from-web" in r.stdout and time.time() - t0 < 30, (r.returncode, r.stdout, r.stderr))
        r = compose("down", "--rmi", "local")
        check("compose 1.29 down --rmi local", r.returncode == 0 and not client.images.list(name=tag + "_web"), (r.returncode, r.stderr))
    finally:
        compose("down", "--rmi", "local")

print("FAILED: %d" % len(failures) if failures else "PASS")
sys.exit(1 if failures else 0)
