"""The hang-up storm of `make bench` (issue 9): CLIENTS clients send `POST /Users` or
`PATCH /Users/{id}` and hang up 0-25 ms later without reading the answer (half with FIN, half
with RST), for STORM_SECONDS; meanwhile one patient client creates users and reads every answer.
Then it measures how long the server takes to accept the next create, and times 20 creates in a
row. Prints the figures; exits 1 if a patient create failed or the server did not recover.

Usage: hangup.py BASE_URL TOKEN USERS   (BASE_URL = http://host:port/scim/account/ID)"""
import http.client
import json
import os
import random
import socket
import struct
import sys
import threading
import time
import urllib.parse

base, token, users = sys.argv[1], sys.argv[2], int(sys.argv[3])
clients = int(os.environ.get("CLIENTS", "16"))
storm_seconds = float(os.environ.get("STORM_SECONDS", "4"))
url = urllib.parse.urlsplit(base)
host, port, prefix = url.hostname, url.port, url.path


def user_body(name):
    return json.dumps({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "name": {"givenName": "Storm", "familyName": "User"},
        "emails": [{"value": name, "type": "work", "primary": True}],
        "active": True,
    }).encode()


def raw_request(method, path, body):
    head = (f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/scim+json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body


abandoned = [0] * clients
stop = threading.Event()


def storm(n):
    rng = random.Random(n)
    i = 0
    while not stop.is_set():
        i += 1
        if rng.random() < 0.5:
            req = raw_request("POST", f"{prefix}/Users", user_body(f"storm-{n}-{i}-{rng.randrange(10**9)}@bench.example"))
        else:
            uid = f"00000000-0000-7000-8000-{rng.randint(1, users):012d}"
            active = "true" if rng.random() < 0.5 else "false"
            body = ('{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],'
                    '"Operations":[{"op":"replace","value":{"active":%s}}]}' % active).encode()
            req = raw_request("PATCH", f"{prefix}/Users/{uid}", body)
        try:
            s = socket.create_connection((host, port), timeout=5)
            s.sendall(req)
            time.sleep(rng.uniform(0, 0.025))
            if rng.random() < 0.5:
                # SO_LINGER 0: close sends RST instead of FIN.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            abandoned[n] += 1
        except OSError:
            time.sleep(0.01)


patient = {"ok": 0, "failed": 0, "statuses": {}}


def create(name, timeout):
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request("POST", f"{prefix}/Users", body=user_body(name),
                  headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"})
        return c.getresponse().status
    except OSError:
        return None
    finally:
        c.close()


def patient_client():
    i = 0
    while not stop.is_set():
        i += 1
        status = create(f"patient-{i}-{random.randrange(10**9)}@bench.example", 10)
        patient["statuses"][status] = patient["statuses"].get(status, 0) + 1
        if status == 201:
            patient["ok"] += 1
        elif status != 503:  # 503 + Retry-After is the documented answer to overload
            patient["failed"] += 1


threads = [threading.Thread(target=storm, args=(n,)) for n in range(clients)]
threads.append(threading.Thread(target=patient_client))
for t in threads:
    t.start()
time.sleep(storm_seconds)
stop.set()
storm_end = time.monotonic()
for t in threads:
    t.join()

# Time until the next create succeeds, counted from the end of the storm.
recovered = None
while time.monotonic() - storm_end < 30:
    if create(f"after-{random.randrange(10**12)}@bench.example", 5) == 201:
        recovered = time.monotonic() - storm_end
        break
    time.sleep(0.01)
times = []
for i in range(20):
    t0 = time.monotonic()
    ok = create(f"row-{i}-{random.randrange(10**12)}@bench.example", 5) == 201
    times.append((time.monotonic() - t0) * 1000 if ok else None)

print(f"HANGUP clients {clients} seconds {storm_seconds:g} abandoned {sum(abandoned)}")
print(f"HANGUP patient creates ok {patient['ok']} failed {patient['failed']} answers {patient['statuses']}")
if recovered is None:
    print("HANGUP next create: never succeeded within 30 s")
else:
    print(f"HANGUP next create succeeded {recovered * 1000:.1f} ms after the storm")
good = [t for t in times if t is not None]
print(f"HANGUP 20 creates in a row: {len(good)} ok, slowest {max(good) if good else float('nan'):.1f} ms")
sys.exit(0 if recovered is not None and len(good) == 20 and patient["failed"] == 0 else 1)
