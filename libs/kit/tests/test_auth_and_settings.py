import time

import jwt
import pytest

from kinerja_kit.auth import TokenVerifier
from kinerja_kit.settings import ServiceSettings
from kinerja_kit.tokens import mint

S = ServiceSettings(jwt_secret="a-test-secret-that-is-long-enough-for-hs256")


def test_local_token_round_trip_keeps_only_known_roles():
    p = TokenVerifier(S).verify(mint("198503302010011002", ["pegawai", "admin", "superuser"], settings=S))
    assert p.nip == "198503302010011002" and p.roles == {"pegawai", "admin"}


@pytest.mark.parametrize("claims", [
    {"iss": "someone-else"}, {"aud": "other"}, {"exp": int(time.time()) - 10}, {"roles": "admin"},
])
def test_tokens_with_wrong_claims_are_refused(claims):
    now = int(time.time())
    base = {"sub": "198503302010011002", "roles": ["pegawai"], "iss": "kinerja-local", "aud": "kinerja",
            "iat": now, "exp": now + 60}
    token = jwt.encode({**base, **claims}, S.jwt_secret, algorithm="HS256")
    with pytest.raises(jwt.PyJWTError):
        TokenVerifier(S).verify(token)


def test_missing_sub_and_other_algorithms_are_refused():
    now = int(time.time())
    no_sub = jwt.encode({"iss": "kinerja-local", "aud": "kinerja", "exp": now + 60}, S.jwt_secret, algorithm="HS256")
    with pytest.raises(jwt.PyJWTError):
        TokenVerifier(S).verify(no_sub)
    unsigned = jwt.encode({"sub": "1", "iss": "kinerja-local", "aud": "kinerja", "exp": now + 60}, None,
                          algorithm="none")
    with pytest.raises(jwt.PyJWTError):
        TokenVerifier(S).verify(unsigned)


def test_service_settings_override_shared_ones(monkeypatch):
    monkeypatch.setenv("KINERJA_KAFKA_BOOTSTRAP", "shared:9092")
    monkeypatch.setenv("KINERJA_DATABASE_URL", "postgresql://shared/db")
    monkeypatch.setenv("KINERJA_TPP_DATABASE_URL", "postgresql://u@host:5432/tpp")
    s = ServiceSettings.for_service("tpp", 8004)
    assert (s.service, s.http_port, s.kafka_bootstrap) == ("tpp", 8004, "shared:9092")
    assert s.sqlalchemy_url() == "postgresql+asyncpg://u@host:5432/tpp"
    assert ServiceSettings.for_service("notify", 8005).database_url == "postgresql://shared/db"
    monkeypatch.delenv("KINERJA_DATABASE_URL")
    assert ServiceSettings.for_service("notify", 8005).sqlalchemy_url() == "sqlite+aiosqlite:///var/notify.db"
