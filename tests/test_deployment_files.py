"""The deployment as written: docker-compose.yml, the Dockerfile, .dockerignore and the lock files.

No Docker engine runs here, so these read the files and check what a deployment relies on; where a
piece can run without Docker (the compose environment as Django settings, the healthcheck script),
it is run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")
SECRET_WORDS = ("PASSWORD", "SECRET", "KEY", "TOKEN")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def interpolate(value, env: dict[str, str]):
    """Compose's variable substitution: ${VAR}, ${VAR:-default}, ${VAR:?error}, $$."""

    def one(text: str) -> str:
        def replace(match: re.Match) -> str:
            name, op, arg = match.group(1), match.group(2), match.group(3)
            if env.get(name):
                return env[name]
            if op == ":?":
                raise LookupError(f"{name}: {arg}")
            return arg if op == ":-" else ""

        text = re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", replace, text.replace("$$", "\0"))
        return text.replace("\0", "$")

    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    return one(value) if isinstance(value, str) else value


def command_text(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


# --- docker-compose.yml ------------------------------------------------------------------------


def test_a_one_shot_migrate_job_runs_first_and_the_app_waits_for_it(compose):
    services = compose["services"]
    migrate = services["migrate"]
    steps = command_text(migrate)
    positions = [steps.find(f"manage.py {step}") for step in ("migrate", "load_regions", "setup_roles")]
    assert -1 not in positions and positions == sorted(positions), steps
    assert "&&" in steps  # a failed step fails the job, and nothing waiting on it starts
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert "migrate" not in command_text(services[name]), f"{name} must not migrate itself"


def test_every_long_running_service_has_a_healthcheck_and_beat_a_real_one(compose):
    services = compose["services"]
    for name in ("postgres", "redis", *APP_SERVICES):
        check = services[name].get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), name
    beat = services["beat"]
    assert beat["healthcheck"]["test"][-2:] == ["scripts/healthcheck.py", "beat"]
    assert beat["environment"]["CELERY_BEAT_HEARTBEAT_FILE"].startswith("/tmp/")  # noqa: S108 - the tmpfs
    assert beat.get("deploy", {}).get("replicas") == 1
    assert "celery -A kudus_capil beat" in command_text(beat) and "--beat" not in command_text(
        services["worker"]
    )


def test_no_password_or_secret_is_written_in_the_file_or_defaulted(compose):
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for name, default in re.findall(r"\$\{(\w+):-([^}]*)\}", text):
        assert not any(word in name for word in SECRET_WORDS), f"{name} has a default ({default!r})"
    for service_name, service in compose["services"].items():
        environment = service.get("environment", {})
        for key, value in environment.items():
            if any(word in key for word in SECRET_WORDS):
                assert key.endswith("_FILE") and value.startswith("/run/secrets/"), (service_name, key)
                secret = value.removeprefix("/run/secrets/")
                assert secret in service["secrets"], (service_name, secret)
                assert secret in compose["secrets"]
        for key in ("DATABASE_URL", "REDIS_URL"):
            if key in environment:
                assert urlparse(environment[key]).password is None, (service_name, key)
    for name, secret in compose["secrets"].items():
        assert re.fullmatch(r"\$\{\w+_FILE:\?[^}]+\}", secret["file"]), f"secret {name} must be required"


def test_compose_refuses_to_start_without_the_secret_files_and_hosts(compose):
    with pytest.raises(LookupError) as missing:
        interpolate(compose, {})
    assert re.match(
        r"(DJANGO_SECRET_KEY_FILE|POSTGRES_PASSWORD_FILE|DJANGO_ALLOWED_HOSTS):", str(missing.value)
    )
    full = {"DJANGO_SECRET_KEY_FILE": "s", "POSTGRES_PASSWORD_FILE": "p", "DJANGO_ALLOWED_HOSTS": "h"}
    for left_out in full:
        with pytest.raises(LookupError, match=left_out):
            interpolate(compose, {k: v for k, v in full.items() if k != left_out})
    interpolate(compose, full)  # all three given: nothing else is required


def test_the_compose_environment_is_a_working_production_configuration(compose, tmp_path):
    """The web container's environment, with its Docker secrets as files, loaded by Django: the
    password reaches the database settings, the secret key is the file's, the proxy count is 1 and
    `check --deploy` has nothing to say."""
    secret_key = "compose-test-secret-" + "x" * 50
    password = "pg-pass:with/odd@chars"
    files = {"django_secret_key": secret_key, "postgres_password": password}
    for name, content in files.items():
        (tmp_path / name).write_text(content + "\n", encoding="utf-8")
    host_env = {
        "DJANGO_SECRET_KEY_FILE": "x",
        "POSTGRES_PASSWORD_FILE": "y",
        "DJANGO_ALLOWED_HOSTS": "capil.test",
    }
    web = interpolate(compose, host_env)["services"]["web"]
    environment = {
        key: value.replace("/run/secrets/", f"{tmp_path}/") if isinstance(value, str) else str(value)
        for key, value in web["environment"].items()
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "KUDUS_"))}
    env.update(environment, DJANGO_SETTINGS_MODULE="kudus_capil.settings")
    code = (
        "import django, json; django.setup(); from django.conf import settings as s;"
        "d = s.DATABASES['default'];"
        "print(json.dumps([d['PASSWORD'], d['USER'], d['HOST'], s.SECRET_KEY, s.DEBUG,"
        " s.TRUSTED_PROXY_COUNT, s.REST_FRAMEWORK['NUM_PROXIES'], s.ALLOWED_HOSTS]))"
    )
    shown = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert yaml.safe_load(shown.stdout) == [
        password,
        "kudus",
        "postgres",
        secret_key,
        False,
        1,
        1,
        ["capil.test"],
    ]
    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_proxy_count_matches_the_documented_topology(compose):
    web = compose["services"]["web"]
    assert interpolate(web["environment"]["TRUSTED_PROXY_COUNT"], {}) == "1"
    # One proxy in front holds only if nothing reaches gunicorn around it: loopback-only publishing.
    for port in web.get("ports", []):
        assert str(port).startswith("127.0.0.1:"), port
    for name, service in compose["services"].items():
        if name != "web":
            assert not service.get("ports"), f"{name} must not be published"
    assert "TRUSTED_PROXY_COUNT" in (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")


def test_app_containers_run_read_only_with_a_tmpfs(compose):
    for name in ("migrate", *APP_SERVICES):
        service = compose["services"][name]
        assert service["read_only"] is True and "/tmp" in service["tmpfs"], name  # noqa: S108
        assert service["environment"]["DJANGO_DEBUG"] == "0", name


# --- Dockerfile and .dockerignore --------------------------------------------------------------


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) with continuation lines joined and comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [tuple(line.strip().split(None, 1)) for line in joined.splitlines() if line.strip()]


def test_the_image_installs_the_hashed_lock_and_collects_static_files_at_build(dockerfile):
    runs = [args for instruction, args in dockerfile if instruction == "RUN"]
    install = next(args for args in runs if "pip install" in args)
    assert "--require-hashes" in install and "-r requirements/base.txt" in install
    collect = next(args for args in runs if "collectstatic" in args)
    assert "DJANGO_DEBUG=0" in collect and "DJANGO_SECRET_KEY=" in collect
    # Both as root, before the switch to the app user.
    user_at = next(i for i, (instruction, _args) in enumerate(dockerfile) if instruction == "USER")
    assert dockerfile.index(("RUN", collect)) < user_at and dockerfile.index(("RUN", install)) < user_at


def test_the_code_is_owned_by_root_and_the_app_runs_as_another_user(dockerfile):
    users = [args for instruction, args in dockerfile if instruction == "USER"]
    assert users and users[-1] not in ("root", "0")
    for instruction, args in dockerfile:
        assert "--chown" not in args, "the code must stay root-owned"
        if instruction == "RUN":
            assert "chown" not in args, args
            assert re.search(r"chmod\b.*go-w", args) or "chmod" not in args


def test_the_image_has_a_command_and_a_healthcheck(dockerfile):
    found = dict(dockerfile)
    command = yaml.safe_load(found["CMD"])  # exec form: a JSON list
    assert command[0] == "gunicorn" and "gunicorn.conf.py" in command and command[-1] == "kudus_capil.wsgi"
    assert found["HEALTHCHECK"].endswith('CMD ["python", "scripts/healthcheck.py", "web"]')
    env = " ".join(args for instruction, args in dockerfile if instruction == "ENV")
    assert "GUNICORN_BIND=0.0.0.0:8000" in env and "DJANGO_DEBUG=0" in env


def test_the_build_context_leaves_out_local_state():
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for entry in (".git", ".venv", "db.sqlite3", "staticfiles", "node_modules", "test-artifacts",
                  ".pytest_cache", ".hypothesis", "secrets", ".env"):  # fmt: skip
        assert entry in ignored, entry


def test_gunicorn_takes_the_image_settings_from_the_environment():
    def config(env: dict[str, str]) -> dict:
        code = (ROOT / "gunicorn.conf.py").read_text(encoding="utf-8")
        namespace: dict = {}
        saved = dict(os.environ)
        try:
            for name in [name for name in os.environ if name.startswith("GUNICORN_")]:
                del os.environ[name]
            os.environ.update(env)
            exec(compile(code, "gunicorn.conf.py", "exec"), namespace)  # noqa: S102 - our own config file
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return namespace

    image = config({"GUNICORN_BIND": "0.0.0.0:8000", "GUNICORN_WORKERS": "3", "GUNICORN_THREADS": "4",
                    "GUNICORN_TIMEOUT": "180", "GUNICORN_ACCESS_LOG": "-"})  # fmt: skip
    assert (image["bind"], image["workers"], image["threads"], image["timeout"], image["accesslog"]) == (
        ["0.0.0.0:8000"],
        3,
        4,
        180,
        "-",
    )
    # Unset: gunicorn's own defaults, so the tests' and benchmarks' gunicorns behave as before.
    bare = config({})
    assert (bare["bind"], bare["workers"], bare["threads"], bare["timeout"], bare["accesslog"]) == (
        ["127.0.0.1:8000"],
        1,
        1,
        30,
        None,
    )


# --- healthcheck script ------------------------------------------------------------------------


def _healthcheck(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_BEAT_HEARTBEAT")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "scripts/healthcheck.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_the_beat_healthcheck_fails_on_a_missing_or_stale_heartbeat(tmp_path):
    heartbeat = tmp_path / "beat-heartbeat"
    assert _healthcheck("beat", CELERY_BEAT_HEARTBEAT_FILE=str(heartbeat)).returncode == 1  # never beat
    heartbeat.touch()
    assert _healthcheck("beat", CELERY_BEAT_HEARTBEAT_FILE=str(heartbeat)).returncode == 0
    old = time.time() - 120
    os.utime(heartbeat, (old, old))
    stale = _healthcheck("beat", CELERY_BEAT_HEARTBEAT_FILE=str(heartbeat))
    assert stale.returncode == 1 and "ago" in stale.stderr
    assert _healthcheck("beat").returncode == 1  # not configured is not healthy


@pytest.mark.django_db
def test_the_beat_scheduler_touches_the_heartbeat_after_each_pass(tmp_path, settings, monkeypatch):
    from django_celery_beat import schedulers

    from kudus_capil.beat import HeartbeatScheduler
    from kudus_capil.celery import app

    monkeypatch.setattr(schedulers, "close_old_connections", lambda: None)  # the test's connection
    heartbeat = tmp_path / "beat-heartbeat"
    settings.CELERY_BEAT_HEARTBEAT_FILE = str(heartbeat)
    scheduler = HeartbeatScheduler(app=app, lazy=False)
    assert not heartbeat.exists()
    interval = scheduler.tick()
    assert heartbeat.exists() and 0 <= interval <= scheduler.max_interval <= 30
    assert _healthcheck("beat", CELERY_BEAT_HEARTBEAT_FILE=str(heartbeat)).returncode == 0


def test_the_web_healthcheck_sends_an_allowed_host(tmp_path):
    """A throwaway HTTP server stands in for gunicorn: the check must send a Host the portal accepts
    and succeed only on 200."""
    server_code = (
        "import http.server, sys\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        ok = self.path == '/healthz' and self.headers['Host'] == 'capil.test'\n"
        "        self.send_response(200 if ok else 400); self.end_headers()\n"
        "    def log_message(self, *a): pass\n"
        "s = http.server.HTTPServer(('127.0.0.1', 0), H)\n"
        "print(s.server_port, flush=True); s.serve_forever()\n"
    )
    server = subprocess.Popen([sys.executable, "-c", server_code], stdout=subprocess.PIPE, text=True)
    try:
        port = server.stdout.readline().strip()
        assert _healthcheck("web", PORT=port, DJANGO_ALLOWED_HOSTS=".capil.test,other").returncode == 0
        assert _healthcheck("web", PORT=port, DJANGO_ALLOWED_HOSTS="elsewhere").returncode == 1
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert _healthcheck("web", PORT=port, DJANGO_ALLOWED_HOSTS="capil.test").returncode == 1  # nobody listens


# --- lock files --------------------------------------------------------------------------------


def _locked(path: Path) -> dict[str, str]:
    """{name: version} of a lock file, after checking that every requirement carries hashes."""
    text = path.read_text(encoding="utf-8")
    pins = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        if not block.strip() or block.startswith("#"):
            continue
        requirement = block.split(" \\", 1)[0].split(";", 1)[0].strip()
        assert "==" in requirement, f"{path.name}: unpinned {requirement!r}"
        assert "--hash=sha256:" in block, f"{path.name}: {requirement} has no hash"
        name, version = requirement.split("==")
        pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def _declared(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for requirement in requirements:
        name, version = requirement.split("==")
        pins[re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()] = version
    return pins


def test_the_lock_files_pin_every_dependency_with_hashes_as_pyproject_declares():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = _locked(ROOT / "requirements" / "base.txt")
    dev = _locked(ROOT / "requirements" / "dev.txt")
    build = _locked(ROOT / "requirements" / "build.txt")
    for name, version in _declared(project["dependencies"]).items():
        assert base.get(name) == version, name
    extras = project["optional-dependencies"]
    for extra in ("test", "bench", "dev"):
        for name, version in _declared(extras[extra]).items():
            assert dev.get(name) == version, (extra, name)
    # The tests run exactly the versions the image ships.
    assert {name: dev.get(name) for name in base} == base
    assert "setuptools" in build
    # Script-only tools are in the dev extra, not in what the tests or the image need.
    assert (
        "polib" in _declared(extras["dev"])
        and "polib" not in _declared(extras["test"])
        and "polib" not in base
    )
    assert "uv" in _declared(extras["dev"])


def test_the_makefile_installs_from_the_lock_and_regenerates_it_in_one_command():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = [line for line in makefile.splitlines() if "pip install" in line]
    locked = [line for line in installs if "--require-hashes" in line]
    assert any("requirements/base.txt" in line for line in locked)
    assert any("requirements/dev.txt" in line for line in locked)
    for line in installs:
        assert "--require-hashes" in line or "--no-deps" in line, f"unlocked install: {line.strip()}"
    recipe = makefile.split("\nlock:", 1)[1].split("\n\n", 1)[0]
    assert recipe.count("$(UV_COMPILE)") + recipe.count("uv pip compile") == 3
    assert re.search(r"UV_COMPILE = \$\(BIN\)/uv pip compile .*--generate-hashes", makefile)
    for target in ("base.txt", "dev.txt", "build.txt"):
        assert f"requirements/{target}" in recipe
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert "make test" in ci  # CI installs through the same locked targets
