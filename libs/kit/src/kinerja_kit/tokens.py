"""Mint local-mode tokens:  kinerja-token --sub 198001012006041001 --roles pegawai,admin"""

from __future__ import annotations

import argparse
import time

import jwt

from kinerja_kit.settings import ServiceSettings


def mint(sub: str, roles: list[str], *, settings: ServiceSettings | None = None, ttl_seconds: int = 12 * 3600,
         audience: str | None = None, secret: str | None = None) -> str:
    s = settings or ServiceSettings()
    now = int(time.time())
    claims = {"sub": sub, "roles": roles, "iss": s.jwt_issuer, "aud": audience or s.jwt_audience,
              "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret or s.jwt_secret, algorithm="HS256")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sub", required=True, help="NIP")
    p.add_argument("--roles", default="pegawai", help="comma-separated: pegawai,admin,inspektorat,bpkad,pimpinan")
    p.add_argument("--ttl", type=int, default=12 * 3600, help="seconds")
    a = p.parse_args()
    print(mint(a.sub, [r for r in a.roles.split(",") if r], ttl_seconds=a.ttl))


if __name__ == "__main__":
    main()
