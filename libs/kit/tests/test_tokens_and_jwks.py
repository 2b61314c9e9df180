"""Token verification: the production JWKS path (RS256, ES256, unknown kid, key rotation, algorithm
confusion) against a JWKS served on loopback, every bad token refused, and the start-up checks
that refuse settings letting anyone mint tokens."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from kinerja_kit.auth import TokenVerifier
from kinerja_kit.service import InsecureConfiguration, check_token_settings
from kinerja_kit.settings import LOCAL_JWT_SECRET, ServiceSettings

ISS, AUD, NIP = "https://sso.example.go.id/realms/kota", "kinerja", "198503302010011002"


def keypair(kind: str):
    return rsa.generate_private_key(public_exponent=65537, key_size=2048) if kind == "RSA" \
        else ec.generate_private_key(ec.SECP256R1())


def jwk(private, kid: str) -> dict:
    alg = RSAAlgorithm if isinstance(private, rsa.RSAPrivateKey) else ECAlgorithm
    data = json.loads(alg.to_jwk(private.public_key()))
    return {**data, "kid": kid, "use": "sig", "alg": "RS256" if alg is RSAAlgorithm else "ES256"}


class Jwks:
    """An OIDC provider's JWKS endpoint on loopback whose key set the test can rotate."""

    def __init__(self) -> None:
        self.keys: list[dict] = []
        self.fetches = 0
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                jwks.fetches += 1
                body = json.dumps({"keys": jwks.keys}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/certs"


@pytest.fixture
def jwks():
    j = Jwks()
    yield j
    j.server.shutdown()


def claims(**kw) -> dict:
    now = int(time.time())
    return {"sub": NIP, "roles": ["pegawai"], "iss": ISS, "aud": AUD, "iat": now, "exp": now + 300, **kw}


def sign(private, kid: str, **kw) -> str:
    alg = "RS256" if isinstance(private, rsa.RSAPrivateKey) else "ES256"
    return jwt.encode(claims(**kw), private, algorithm=alg, headers={"kid": kid})


def verifier(jwks: Jwks, cooldown: float = 0.0) -> TokenVerifier:
    return TokenVerifier(ServiceSettings(jwt_jwks_url=jwks.url, jwt_issuer=ISS, jwt_audience=AUD,
                                         jwt_jwks_refresh_cooldown_seconds=cooldown))


def test_rs256_and_es256_tokens_from_the_jwks_are_accepted(jwks):
    rsa_key, ec_key = keypair("RSA"), keypair("EC")
    jwks.keys = [jwk(rsa_key, "r1"), jwk(ec_key, "e1")]
    v = verifier(jwks)
    assert v.verify(sign(rsa_key, "r1")).nip == NIP
    assert v.verify(sign(ec_key, "e1")).roles == {"pegawai"}


def test_an_unknown_kid_is_refused(jwks):
    known, stranger = keypair("RSA"), keypair("RSA")
    jwks.keys = [jwk(known, "r1")]
    with pytest.raises(jwt.PyJWTError):
        verifier(jwks).verify(sign(stranger, "r9"))


def test_a_key_rotation_is_followed(jwks):
    old, new = keypair("RSA"), keypair("RSA")
    jwks.keys = [jwk(old, "2026-11")]
    v = verifier(jwks)
    assert v.verify(sign(old, "2026-11")).nip == NIP
    jwks.keys = [jwk(new, "2026-12")]  # the provider rotates: the old key is withdrawn
    assert v.verify(sign(new, "2026-12")).nip == NIP, "an unknown kid refetches the key set"
    with pytest.raises(jwt.PyJWTError):
        v.verify(sign(old, "2026-11"))
    with pytest.raises(jwt.PyJWTError):  # a kid that matches a key signed by someone else
        v.verify(sign(keypair("RSA"), "2026-12"))


def test_unknown_kids_refetch_the_jwks_at_most_once_per_cooldown(jwks):
    key = keypair("RSA")
    jwks.keys = [jwk(key, "r1")]
    v = verifier(jwks, cooldown=30.0)
    v.verify(sign(key, "r1"))
    fetched = jwks.fetches
    for i in range(20):  # a flood of made-up kids
        with pytest.raises(jwt.PyJWTError):
            v.verify(sign(keypair("EC"), f"bogus-{i}"))
    assert jwks.fetches == fetched, "no refetch inside the cooldown"


def test_signature_made_with_another_key_is_refused(jwks):
    real, forged = keypair("RSA"), keypair("RSA")
    jwks.keys = [jwk(real, "r1")]
    with pytest.raises(jwt.PyJWTError):
        verifier(jwks).verify(sign(forged, "r1"))


def test_algorithm_confusion_and_none_are_refused(jwks):
    key = keypair("RSA")
    jwks.keys = [jwk(key, "r1")]
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    # HS256 "signed" with the public key: a verifier that let the token pick its algorithm would accept it.
    import hmac, hashlib, base64  # noqa: E401 (built by hand: PyJWT itself refuses a PEM as HMAC key)

    def b64(b: bytes) -> str:
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "r1"}).encode())
    body = b64(json.dumps(claims()).encode())
    mac = hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    with pytest.raises(jwt.PyJWTError):
        verifier(jwks).verify(f"{head}.{body}.{b64(mac)}")
    unsigned = jwt.encode(claims(), None, algorithm="none", headers={"kid": "r1"})
    with pytest.raises(jwt.PyJWTError):
        verifier(jwks).verify(unsigned)


@pytest.mark.parametrize("bad", [
    {"exp": int(time.time()) - 5},
    {"nbf": int(time.time()) + 3600},
    {"iss": "https://evil.example"},
    {"aud": "another-app"},
])
def test_expired_not_yet_valid_wrong_issuer_or_audience_are_refused(jwks, bad):
    key = keypair("EC")
    jwks.keys = [jwk(key, "e1")]
    with pytest.raises(jwt.PyJWTError):
        verifier(jwks).verify(sign(key, "e1", **bad))


def test_a_short_secret_never_starts():
    """Before: any secret was accepted."""
    with pytest.raises(InsecureConfiguration):
        check_token_settings(ServiceSettings(jwt_secret="short-secret"))
    check_token_settings(ServiceSettings(jwt_secret="x" * 32))


def test_the_local_secret_never_serves_beyond_loopback():
    """Before: only a warning."""
    check_token_settings(ServiceSettings(http_host="127.0.0.1"))
    with pytest.raises(InsecureConfiguration):
        check_token_settings(ServiceSettings(http_host="0.0.0.0", jwt_secret=LOCAL_JWT_SECRET))
    check_token_settings(ServiceSettings(http_host="0.0.0.0", jwt_secret="a-region-secret-of-at-least-32-bytes!"))
    check_token_settings(ServiceSettings(http_host="0.0.0.0", jwt_allow_local_secret=True))  # local containers
    check_token_settings(ServiceSettings(http_host="0.0.0.0", jwt_jwks_url="https://sso.example/certs"))
