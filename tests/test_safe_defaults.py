"""Safe defaults: production mode unless development mode is asked for, the public development secret
only on loopback, and demo data only where it cannot be mistaken for a real registry."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from core.access import kecamatan_scope, user_roles
from kudus_capil.env import DEVELOPMENT_SECRET_KEY

ROOT = Path(__file__).resolve().parent.parent
SECRET = "a-real-secret-key-with-enough-length-and-entropy-0123456789-xyzXYZ"


def _clean_env(**env: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env, DJANGO_SETTINGS_MODULE="kudus_capil.settings")
    return environment


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=_clean_env(**env), capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


SHOW = "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG, s.SECRET_KEY)"


# --- DJANGO_DEBUG defaults to off -------------------------------------------------------------


def test_without_django_debug_it_is_production_mode():
    refused = _python(SHOW)  # nothing set: production mode, which wants a real secret
    assert refused.returncode != 0 and "DJANGO_SECRET_KEY" in refused.stderr
    shown = _python(SHOW, DJANGO_SECRET_KEY=SECRET, DJANGO_ALLOWED_HOSTS="capil.test")
    assert shown.stdout.split() == ["False", SECRET]
    assert _python(SHOW, DJANGO_DEBUG="1").stdout.split() == ["True", DEVELOPMENT_SECRET_KEY]


def test_the_suite_pins_development_mode_whatever_the_shell_says():
    code = "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG, s.HTTPS)"
    env = _clean_env(DJANGO_DEBUG="0", DJANGO_HTTPS="1", DJANGO_ALLOWED_HOSTS="x")
    env.pop("KUDUS_TEST_ENV_PINNED", None)
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    shown = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert shown.stdout.split() == ["True", "False"], shown.stderr
    # A process the suite starts in production mode keeps its own choice (the pin is made once).
    env["KUDUS_TEST_ENV_PINNED"] = "1"
    env["DJANGO_SECRET_KEY"] = SECRET
    shown = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert shown.stdout.split() == ["False", "True"], shown.stderr


# --- the development secret only on loopback --------------------------------------------------


def test_the_development_secret_is_refused_for_hosts_beyond_loopback():
    assert _manage("check", DJANGO_DEBUG="1").returncode == 0
    assert (
        _manage("check", DJANGO_DEBUG="1", DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,[::1]").returncode == 0
    )
    exposed = _manage("check", DJANGO_DEBUG="1", DJANGO_ALLOWED_HOSTS="localhost,capil.kuduskab.go.id")
    assert exposed.returncode != 0
    assert "kudus_capil.E001" in exposed.stderr and "capil.kuduskab.go.id" in exposed.stderr
    everyone = _manage("check", DJANGO_DEBUG="1", DJANGO_ALLOWED_HOSTS="*")
    assert "kudus_capil.E001" in everyone.stderr
    # With a real secret, development mode may serve other hosts (a test server on the LAN).
    assert (
        _manage("check", DJANGO_DEBUG="1", DJANGO_ALLOWED_HOSTS="*", DJANGO_SECRET_KEY=SECRET).returncode == 0
    )
    # The development key given explicitly in production mode is refused too.
    forced = _manage(
        "check", DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="capil.test", DJANGO_SECRET_KEY=DEVELOPMENT_SECRET_KEY
    )
    assert forced.returncode != 0 and "kudus_capil.E001" in forced.stderr


@pytest.fixture
def fake_bin(tmp_path):
    """A BIN directory whose python/gunicorn/celery only record how they were called (and with which
    DJANGO_DEBUG), so scripts/serve.sh and `make run` can be run without serving anything."""
    log = tmp_path / "calls.log"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("python", "gunicorn", "celery"):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\necho "{name} DJANGO_DEBUG=${{DJANGO_DEBUG:-unset}} $*" >> "{log}"\n')
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return bin_dir, log


def _serve(bin_dir: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_URL"))}
    environment.update(env, BIN=str(bin_dir))
    return subprocess.run(
        ["sh", "scripts/serve.sh"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=30
    )


def test_serve_refuses_to_listen_beyond_loopback_with_the_development_secret(fake_bin):
    bin_dir, log = fake_bin
    for host in ("0.0.0.0", "192.168.1.10", "::"):  # noqa: S104 - the hosts being refused
        refused = _serve(bin_dir, HOST=host, DJANGO_DEBUG="1")
        assert refused.returncode == 2 and "DJANGO_SECRET_KEY" in refused.stderr, host
    assert not log.exists()  # nothing was started

    for host in ("127.0.0.1", "localhost", "::1"):
        assert _serve(bin_dir, HOST=host, DJANGO_DEBUG="1").returncode == 0, host
    assert "python DJANGO_DEBUG=1 manage.py runserver 127.0.0.1:8000" in log.read_text()

    log.unlink()
    allowed = _serve(bin_dir, HOST="0.0.0.0", DJANGO_DEBUG="1", DJANGO_SECRET_KEY=SECRET)  # noqa: S104
    assert allowed.returncode == 0 and "runserver 0.0.0.0:8000" in log.read_text()


def test_serve_without_django_debug_is_production_mode_on_gunicorn(fake_bin):
    bin_dir, log = fake_bin
    assert _serve(bin_dir, HOST="127.0.0.1", DJANGO_SECRET_KEY=SECRET).returncode == 0
    calls = log.read_text()
    assert "manage.py collectstatic" in calls and "gunicorn DJANGO_DEBUG=unset kudus_capil.wsgi" in calls
    assert "runserver" not in calls


def test_make_run_turns_development_mode_on_explicitly(fake_bin, tmp_path):
    bin_dir, log = fake_bin
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / ".installed-base").touch()  # newer than the lock files: make installs nothing
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_URL", "MAKE"))}
    result = subprocess.run(
        ["make", "--no-print-directory", "run", f"VENV={venv}", f"BIN={bin_dir}", "DEMO_CITIZENS=10"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    calls = log.read_text().splitlines()
    assert [call.split(" manage.py ")[1].split()[0] for call in calls] == [
        "migrate", "load_regions", "seed_demo", "runserver",
    ]  # fmt: skip
    assert all(call.startswith("python DJANGO_DEBUG=1 ") for call in calls), calls


# --- seed_demo and the demo login -------------------------------------------------------------


def test_seed_demo_refuses_production_mode(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--i-know-this-is-production"):
        call_command("seed_demo", citizens=10)
    assert get_user_model().objects.count() == 0  # refused before anything was written


@pytest.mark.django_db
def test_seed_demo_in_production_only_when_told_and_the_login_is_a_supervisor(settings):
    settings.DEBUG = False
    user_model = get_user_model()
    # A demo login left as a superuser by an older version is demoted.
    user_model.objects.create_superuser(username=settings.DEMO_STAFF_USERNAME, password="whatever-old-1")

    out = io.StringIO()
    call_command("seed_demo", "--i-know-this-is-production", citizens=60, stdout=out)
    assert f"Demo staff login: {settings.DEMO_STAFF_USERNAME}" in out.getvalue()

    demo = user_model.objects.get(username=settings.DEMO_STAFF_USERNAME)
    assert demo.is_staff and not demo.is_superuser
    assert user_roles(demo) == {"supervisor"}
    assert kecamatan_scope(demo) is None  # every kecamatan, as a supervisor
    assert demo.check_password(settings.DEMO_STAFF_PASSWORD)
    assert not demo.has_perm("auth.add_user") and not demo.has_perm("auth.change_user")
    assert not user_model.objects.filter(is_superuser=True).exists()


def test_no_documented_step_creates_a_superuser():
    documented = ["README.md", "Makefile", "docker-compose.yml", "docs/deployment.md"]
    documented += [f"scripts/{path.name}" for path in (ROOT / "scripts").iterdir() if path.is_file()]
    for path in documented:
        assert "createsuperuser" not in (ROOT / path).read_text(encoding="utf-8"), path
