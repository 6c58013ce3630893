"""Single sign-on in real Chromium: "Sign in with council" through ``st.login`` (issue 14).

The test runs its own OpenID Connect provider on loopback: a tiny HTTP server with discovery,
an authorisation endpoint that consents at once, a token endpoint issuing an RS256-signed ID
token, and its JWKS. Keys and tokens come from joserfc, the JOSE library Authlib's own
``authlib.jose`` now hands over to; on the app side Streamlit's ``st.login`` uses Authlib (the
``streamlit[auth]`` extra) to discover the provider, exchange the code and verify the token.
Without Authlib installed the button raised ``StreamlitMissingAuthlibError``.
"""

from __future__ import annotations

import http.server
import json
import secrets
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from assessments import db
from assessments.models import User
from tests.browser.server import (
    CHROMIUM,
    free_port,
    goto,
    launch_browser,
    serve_app,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CLIENT_ID = "saferplaces-test"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]
PERSON = {"sub": "council-0042", "email": "olive.officer@council.example", "name": "Olive Officer"}


class _Provider(http.server.BaseHTTPRequestHandler):
    """A minimal OpenID Connect provider (authorisation code flow) for one test."""

    issuer = ""
    key = None
    codes: dict[str, dict[str, str]] = {}  # noqa: RUF012
    requests: list[str] = []  # noqa: RUF012

    def _json(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlparse(self.path)
        type(self).requests.append(url.path)
        if url.path == "/.well-known/openid-configuration":
            self._json(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": f"{self.issuer}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "scopes_supported": ["openid", "email", "profile"],
                    "token_endpoint_auth_methods_supported": [
                        "client_secret_basic",
                        "client_secret_post",
                    ],
                }
            )
        elif url.path == "/jwks":
            self._json({"keys": [self.key.as_dict(private=False)]})
        elif url.path == "/authorize":
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            assert query["client_id"] == CLIENT_ID
            code = secrets.token_urlsafe(16)
            type(self).codes[code] = query
            target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
            self.send_response(302)
            self.send_header("Location", target)
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()

    def do_POST(self) -> None:
        from joserfc import jwt

        url = urlparse(self.path)
        type(self).requests.append(url.path)
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        asked = type(self).codes.pop(form.get("code", ""), None)
        if url.path != "/token" or asked is None:
            self.send_response(400)
            self.end_headers()
            return
        now = int(time.time())
        claims = {
            **PERSON,
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "email_verified": True,
        }
        if "nonce" in asked:
            claims["nonce"] = asked["nonce"]
        id_token = jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)
        self._json(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": "openid email profile",
                "id_token": id_token,
            }
        )

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def provider():
    from joserfc.jwk import RSAKey

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
    _Provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    _Provider.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield _Provider
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, provider):
    folder = tmp_path_factory.mktemp("sso")
    url = f"sqlite:///{folder / 'store.db'}"
    engine = db.get_engine(url)
    db.migrate(engine)
    engine.dispose()
    db.clear_engines()
    port = free_port()
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n\n'
        "[auth.council]\n"
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{secrets.token_urlsafe(16)}"\n'
        f'server_metadata_url = "{provider.issuer}/.well-known/openid-configuration"\n'
    )
    with (
        (folder / "streamlit.log").open("w") as log,
        serve_app(
            url,
            folder,
            port=port,
            env={"SAFERPLACES_OIDC_PROVIDER": "council"},
            extra_args=("--secrets.files", str(secrets_file)),
            log=log,
        ) as base,
    ):
        yield base, url, folder / "streamlit.log"


def test_sign_in_with_council_through_st_login(app_url, provider):
    base, url, log = app_url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with launch_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        goto(page, base)
        button = page.get_by_role("button", name="Sign in with council")
        button.wait_for(timeout=120_000)
        button.click()
        nav = page.locator('[data-testid="stSidebarNav"]')
        try:
            nav.wait_for(timeout=120_000)
        finally:
            shot = ARTIFACTS / "single_sign_on.png"
            page.screenshot(path=str(shot), full_page=True, timeout=120_000)
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "Olive Officer" in sidebar, log.read_text()[-3000:]
    assert "viewer" in sidebar  # an unknown identity gets the default role
    assert {"/.well-known/openid-configuration", "/authorize", "/token", "/jwks"} <= set(
        provider.requests
    )
    engine = db.get_engine(url)
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.oidc_subject == PERSON["sub"])).one()
        assert (user.username, user.role, user.password_hash) == (PERSON["email"], "viewer", None)
        assert user.last_login_at is not None
    engine.dispose()
    db.clear_engines()
