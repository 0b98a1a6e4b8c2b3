#!/usr/bin/env python3
"""Checks what an API 1.41 client gets, against any Engine API socket.

Run against Debian's dockerd 20.10 (the oracle; see run-dockerd.sh) and
against wharfd; both must pass. Needs a "busybox" image on the daemon.
Usage: api_versions.py /path/to/docker.sock
"""
import http.client, json, os, socket, sys, time, urllib.parse, uuid

SOCK = sys.argv[1] if len(sys.argv) > 1 else os.environ["DOCKER_SOCK"]
V = "/v1.41"
failures = []


class Conn(http.client.HTTPConnection):
    def __init__(self):
        super().__init__("localhost", timeout=30)

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(SOCK)


def call(method, path, body=None, headers=None):
    c = Conn()
    h = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
        h["Content-Type"] = "application/json"
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def check(what, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else ": " + str(detail)[:400]))
    if not ok:
        failures.append(what)


def error(method, path, status, message, body=None, fold=False):
    """fold: compare without case (dockerd 20.10 capitalised some words
    that later engines do not, unversioned). status may be a tuple of the
    statuses accepted."""
    st, data = call(method, path, body)
    try:
        msg = json.loads(data)["message"]
    except Exception:
        msg = data
    same = msg.lower() == message.lower() if fold and isinstance(msg, str) else msg == message
    ok_status = st in status if isinstance(status, tuple) else st == status
    check(f"{method} {path} -> {status} {message!r}", ok_status and same, (st, msg))


name = "oracle-" + uuid.uuid4().hex[:8]

# Routes for features the daemon lacks answer in docker's words.
st, data = call("GET", V + "/plugins")
check("GET /plugins -> []", st == 200 and json.loads(data) == [], (st, data))
error("GET", V + "/plugins/vieux/sshfs:latest/json", 404, 'plugin "vieux/sshfs:latest" not found')
error("DELETE", V + "/plugins/sshfs", 404, 'plugin "sshfs" not found')
error("GET", V + "/containers/x/checkpoints", 501,
      "This experimental feature is disabled by default. Start the Docker daemon in experimental mode in order to enable it.")
error("POST", V + "/session", 400, "no upgrade proto in request")
st, _ = call("GET", V + "/networks/")
check("GET /networks/ lists", st == 200, st)
error("GET", V + "/networks?filters=" + urllib.parse.quote('{"bogus":["x"]}'), 400, "invalid filter 'bogus'", fold=True)
st, _ = call("OPTIONS", V + "/containers/json")
check("OPTIONS -> 200", st == 200, st)

st, data = call("POST", V + "/session", headers={"Upgrade": "foo"})
check("POST /session Upgrade: foo -> 400 protocol foo not supported", st == 400 and json.loads(data)["message"] == "protocol foo not supported", (st, data))

# User errors are 400s in docker's words.
# dockerd 20.10 answered 500 here, a bug later engines fixed (400), as wharfd.
error("POST", V + "/containers/create", (400, 500) if os.environ.get("ORACLE") else 400,
      "invalid volume specification: '/tmp:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'",
      {"Image": "busybox", "HostConfig": {"Binds": ["/tmp:/"]}})
error("POST", V + "/containers/create", 400,
      "invalid mount config for type \"bind\": invalid specification: destination can't be '/'",
      {"Image": "busybox", "HostConfig": {"Mounts": [{"Type": "bind", "Source": "/tmp", "Target": "/"}]}})
error("POST", V + "/commit", 400, 'invalid name or ID supplied: ""')

# Image inspect: ContainerConfig (docker-compose 1.29) and VirtualSize.
st, data = call("GET", V + "/images/busybox/json")
img = json.loads(data)
check("image inspect has ContainerConfig.Volumes", st == 200 and "Volumes" in img.get("ContainerConfig", {}), img.keys())
check("image inspect has VirtualSize == Size", img.get("VirtualSize") == img.get("Size"), img.get("VirtualSize"))
for im in json.loads(call("GET", V + "/images/json")[1]):
    check("images/json VirtualSize, Containers -1", im.get("VirtualSize") == im["Size"] and im["Containers"] == -1, im)
    break

# Container inspect: the legacy NetworkSettings fields, KernelMemory.
since = int(time.time()) - 1
st, data = call("POST", V + "/containers/create?name=" + name, {"Image": "busybox", "Cmd": ["sleep", "60"]})
cid = json.loads(data)["Id"]
call("POST", V + f"/containers/{cid}/start")
ins = json.loads(call("GET", V + f"/containers/{cid}/json")[1])
ns = ins["NetworkSettings"]
check("NetworkSettings.IPAddress is the bridge's", ns.get("IPAddress") and ns["IPAddress"] == ns["Networks"]["bridge"]["IPAddress"], ns.get("IPAddress"))
check("HostConfig.KernelMemory present", "KernelMemory" in ins["HostConfig"], list(ins["HostConfig"])[:5])

# Events keep status, id and from.
st, data = call("GET", V + f"/events?since={since}&until={int(time.time()) + 1}&filters=" + urllib.parse.quote(json.dumps({"container": [name]})))
ev = json.loads(data.split(b"\n")[0])
check("event status/id/from", ev.get("status") == "create" and ev.get("id") == cid and ev.get("from") == "busybox", ev)

# rm of a running container: 409 in 20.10's words.
error("DELETE", V + f"/containers/{cid}", 409,
      f"You cannot remove a running container {cid}. Stop the container before attempting removal or force remove")
call("POST", V + f"/containers/{cid}/pause")
error("DELETE", V + f"/containers/{cid}", 409,
      f"You cannot remove a paused container {cid}. Unpause and then stop the container before attempting removal or force remove")
call("POST", V + f"/containers/{cid}/unpause")
call("DELETE", V + f"/containers/{cid}?force=1")

# A commit right after a start of a container exiting at once.
for i in range(3):
    st, data = call("POST", V + "/containers/create", {"Image": "busybox", "Cmd": ["touch", "/test"]})
    q = json.loads(data)["Id"]
    call("POST", V + f"/containers/{q}/start")
    st, data = call("POST", V + f"/commit?container={q}")
    check("commit of an exiting container -> 201", st == 201, (st, data))
    if st == 201:
        call("DELETE", V + "/images/" + json.loads(data)["Id"])
    call("DELETE", V + f"/containers/{q}?force=1")

# Volume prune at 1.41 removes named unused volumes too.
call("POST", V + "/volumes/create", {"Name": name})
st, data = call("POST", V + "/volumes/prune")
check("volume prune removes a named volume", name in (json.loads(data).get("VolumesDeleted") or []), data)

# A truncated archive: a stream error under 200.
c = Conn()
c.request("GET", V + "/images/busybox/get")
tarball = c.getresponse().read()
st, data = call("POST", V + "/images/load", tarball[: len(tarball) // 2 + 100], {"Content-Type": "application/x-tar"})
# dockerd 20.10 says "Error processing tar file(exit status 1): unexpected
# EOF" (its untar ran in a child process), dockerd 25+ and wharfd
# "unexpected EOF".
last = json.loads(data.strip().split(b"\n")[-1])
check("truncated load -> 200 + unexpected EOF", st == 200 and last.get("error", "").endswith("unexpected EOF") and
      last.get("errorDetail", {}).get("message") == last.get("error"), (st, data))

print("FAILED: %d" % len(failures) if failures else "PASS")
sys.exit(1 if failures else 0)
