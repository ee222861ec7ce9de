#!/usr/bin/env python3
"""A SAML 2.0 identity provider for Rollcall's tests: real RSA keys (openssl), real XML
signatures (the xmlsec1 command line, libxmlsec1 as in production IdPs), and the attacks a
service provider must refuse. Standard library only, plus the `openssl` and `xmlsec1` programs.

    saml_idp.py keygen DIR --sso-url URL     key.pem, cert.pem and metadata.xml in DIR
    saml_idp.py response DIR < spec.json      prints a base64 SAMLResponse
    saml_idp.py serve DIR --port N            a live IdP for the browser (see `serve`)

spec.json (every key optional except acs, audience, name_id):
    acs, audience, name_id, in_response_to, issuer, destination, recipient,
    sign: "assertion" | "response" | "both" | "none"   (default "assertion")
    alg: "sha256" | "sha1"                               (default "sha256")
    not_before / not_on_or_after: seconds from now       (default -60 / 300)
    attack: "second_assertion" | "duplicate_id" | "comment" | "doctype" | "tamper"
    key_dir: sign with another directory's key (an untrusted IdP)
"""

import base64
import datetime
import json
import os
import subprocess
import sys
import tempfile
import uuid

ENTITY_ID = "http://idp.test/metadata"
NS = (
    'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
    'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"'
)
ALGS = {
    "sha256": (
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2001/04/xmlenc#sha256",
    ),
    "sha1": (
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        "http://www.w3.org/2000/09/xmldsig#sha1",
    ),
}


def keygen(directory, sso_url):
    os.makedirs(directory, exist_ok=True)
    key, cert = os.path.join(directory, "key.pem"), os.path.join(directory, "cert.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
         "-out", cert, "-days", "30", "-subj", "/CN=Test IdP"],
        check=True, capture_output=True,
    )
    body = "".join(l for l in open(cert) if "CERTIFICATE" not in l).replace("\n", "")
    metadata = f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{ENTITY_ID}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data><ds:X509Certificate>{body}</ds:X509Certificate></ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{sso_url}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""
    with open(os.path.join(directory, "metadata.xml"), "w") as f:
        f.write(metadata)


def instant(offset=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def signature(sig_id, ref, alg):
    method, digest = ALGS[alg]
    return f"""<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="{sig_id}"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="{method}"/><ds:Reference URI="#{ref}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>"""


def assertion(spec, aid, name_id, sign):
    issuer = spec.get("issuer", ENTITY_ID)
    irt = spec.get("in_response_to")
    irt_attr = f' InResponseTo="{irt}"' if irt else ""
    recipient = spec.get("recipient", spec["acs"])
    nb, na = spec.get("not_before", -60), spec.get("not_on_or_after", 300)
    sig = signature("sig-assertion", aid, spec.get("alg", "sha256")) if sign else ""
    return (
        f'<saml:Assertion ID="{aid}" Version="2.0" IssueInstant="{instant()}">'
        f"<saml:Issuer>{issuer}</saml:Issuer>{sig}"
        f'<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{name_id}</saml:NameID>'
        f'<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{instant(na)}" Recipient="{recipient}"{irt_attr}/>'
        f"</saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotBefore="{instant(nb)}" NotOnOrAfter="{instant(na)}">'
        f'<saml:AudienceRestriction><saml:Audience>{spec["audience"]}</saml:Audience></saml:AudienceRestriction></saml:Conditions>'
        f'<saml:AuthnStatement AuthnInstant="{instant()}" SessionIndex="{aid}"><saml:AuthnContext>'
        f"<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>"
        f"</saml:AuthnContext></saml:AuthnStatement></saml:Assertion>"
    )


def xmlsec_sign(xml, key_dir, node_id):
    key = os.path.join(key_dir, "key.pem")
    cert = os.path.join(key_dir, "cert.pem")
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write(xml)
        path = f.name
    try:
        out = subprocess.run(
            ["xmlsec1", "--sign", "--privkey-pem", f"{key},{cert}",
             "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
             "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
             "--id-attr:Id", "http://www.w3.org/2000/09/xmldsig#:Signature",
             "--node-id", node_id, path],
            check=True, capture_output=True, text=True,
        )
        return out.stdout
    finally:
        os.unlink(path)


def response(directory, spec):
    sign = spec.get("sign", "assertion")
    key_dir = spec.get("key_dir", directory)
    rid, aid = "_r" + uuid.uuid4().hex, "_a" + uuid.uuid4().hex
    irt = spec.get("in_response_to")
    irt_attr = f' InResponseTo="{irt}"' if irt else ""
    destination = spec.get("destination", spec["acs"])
    resp_sig = signature("sig-response", rid, spec.get("alg", "sha256")) if sign in ("response", "both") else ""
    body = assertion(spec, aid, spec["name_id"], sign in ("assertion", "both"))
    attack = spec.get("attack")
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<samlp:Response {NS} ID="{rid}" Version="2.0" IssueInstant="{instant()}" Destination="{destination}"{irt_attr}>'
        f'<saml:Issuer>{spec.get("issuer", ENTITY_ID)}</saml:Issuer>{resp_sig}'
        f'<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        f"{body}</samlp:Response>"
    )
    if sign in ("assertion", "both"):
        xml = xmlsec_sign(xml, key_dir, "sig-assertion")
    if sign in ("response", "both"):
        xml = xmlsec_sign(xml, key_dir, "sig-response")
    evil = spec.get("evil_name_id", "mallory@example.com")
    if attack == "second_assertion":
        # An unsigned assertion for someone else beside the signed one.
        extra = assertion(spec, "_e" + uuid.uuid4().hex, evil, False)
        xml = xml.replace("<saml:Assertion ", extra + "<saml:Assertion ", 1)
    elif attack == "duplicate_id":
        # The same ID on an unsigned assertion placed first (signature wrapping).
        extra = assertion(spec, aid, evil, False)
        xml = xml.replace("<saml:Assertion ", extra + "<saml:Assertion ", 1)
    elif attack == "comment":
        # The classic NameID comment truncation: <NameID>admin@x<!---->.evil</NameID>.
        name = spec["name_id"]
        xml = xml.replace(f">{name}<", f">{name}<!---->.evil.example<", 1)
    elif attack == "doctype":
        xml = xml.replace("<samlp:Response ", '<!DOCTYPE r [<!ENTITY e "x">]><samlp:Response ', 1)
    elif attack == "tamper":
        xml = xml.replace(spec["name_id"], evil, 1)
    return base64.b64encode(xml.encode()).decode()


def serve(directory, port):
    """A live IdP for browser tests, on 127.0.0.1:PORT.

    GET  /sso?SAMLRequest=…&RelayState=…   (SP-initiated) the IdP's sign-in page: an e-mail field
    POST /sso                               signs that person in: an auto-submitting form to the ACS
    GET  /start?acs=…&audience=…&email=…    (IdP-initiated, the app tile) the same, unsolicited
    """
    import html
    import urllib.parse
    import zlib
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    def page(handler, body):
        data = f"<!DOCTYPE html><html><head><title>Test IdP</title></head><body>{body}</body></html>".encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def post_back(handler, acs, audience, email, in_response_to, relay):
        spec = {"acs": acs, "audience": audience, "name_id": email}
        if in_response_to:
            spec["in_response_to"] = in_response_to
        saml = response(directory, spec)
        relay_field = f'<input type="hidden" name="RelayState" value="{html.escape(relay)}">' if relay else ""
        page(handler, f'<p>Signing you in…</p><form id="f" method="post" action="{html.escape(acs)}">'
                      f'<input type="hidden" name="SAMLResponse" value="{saml}">{relay_field}'
                      f'<button type="submit">Continue</button></form>'
                      f'<script>document.getElementById("f").submit()</script>')

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            q = dict(urllib.parse.parse_qsl(url.query))
            if url.path == "/sso":
                xml = zlib.decompress(base64.b64decode(q["SAMLRequest"]), -15).decode()
                attr = lambda name: xml.split(f' {name}="', 1)[1].split('"', 1)[0]
                issuer = xml.split("Issuer>", 1)[1].split("<", 1)[0]
                hidden = "".join(
                    f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                    for k, v in {"acs": attr("AssertionConsumerServiceURL"), "audience": issuer,
                                 "irt": attr("ID"), "relay": q.get("RelayState", "")}.items())
                page(self, f'<h1>Test IdP</h1><form method="post" action="/sso">{hidden}'
                           f'<label>E-mail <input name="email" type="email"></label>'
                           f'<button type="submit">Sign in</button></form>')
            elif url.path == "/start":
                post_back(self, q["acs"], q["audience"], q["email"], None, q.get("relay", ""))
            else:
                self.send_error(404)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            post_back(self, form["acs"], form["audience"], form["email"], form["irt"], form.get("relay", ""))

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"idp listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


def main():
    cmd = sys.argv[1]
    if cmd == "keygen":
        keygen(sys.argv[2], sys.argv[sys.argv.index("--sso-url") + 1])
    elif cmd == "response":
        print(response(sys.argv[2], json.load(sys.stdin)))
    elif cmd == "serve":
        serve(sys.argv[2], int(sys.argv[sys.argv.index("--port") + 1]))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
