"""One /Bulk request of 1,000 user creates against 1,000 single POST /Users requests (one
client, keep-alive), on the running server. Usage: bulk.py BASE_URL TOKEN"""
import http.client
import json
import sys
import time
import urllib.parse

base, token = sys.argv[1], sys.argv[2]
url = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(url.hostname, url.port)
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}


def user(name):
    return {"userName": name, "name": {"givenName": "Bulk", "familyName": "Bench"},
            "emails": [{"value": name, "type": "work", "primary": True}]}


def post(path, body):
    conn.request("POST", url.path + path, json.dumps(body), headers)
    res = conn.getresponse()
    data = res.read()
    return res.status, data


stamp = int(time.time())
start = time.time()
for i in range(1000):
    status, _ = post("/Users", user(f"single-{stamp}-{i}@bench.example"))
    assert status == 201, status
singles = time.time() - start
ops = [{"method": "POST", "path": "/Users", "bulkId": f"b{i}", "data": user(f"bulk-{stamp}-{i}@bench.example")}
       for i in range(1000)]
start = time.time()
status, data = post("/Bulk", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops})
bulk = time.time() - start
assert status == 200, (status, data[:300])
created = sum(1 for o in json.loads(data)["Operations"] if o["status"] == "201")
assert created == 1000, created
print(f"BULK 1,000 creates: one /Bulk request {bulk * 1000:.0f} ms; 1,000 single requests {singles * 1000:.0f} ms ({singles / bulk:.1f}x)")
