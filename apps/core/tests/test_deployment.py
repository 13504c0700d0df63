"""docker-compose.yml and the Dockerfile run the processes the design lists, from one image.

Static checks on the files themselves, no Docker engine; the replica's entrypoint
runs for real against a private PostgreSQL cluster (bench/private.py).
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"

# The process commands exactly as the design document lists them.
PROCESS_COMMANDS = {
    "migrate": ".venv/bin/python manage.py migrate --noinput",
    "web": ".venv/bin/gunicorn config.wsgi:application --bind 0.0.0.0:8000 --workers 4",
    "worker": ".venv/bin/celery -A config worker --loglevel INFO",
    "beat": ".venv/bin/celery -A config beat --loglevel INFO",
}
APP_SERVICES = tuple(PROCESS_COMMANDS)


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _services() -> dict[str, Any]:
    return _compose()["services"]


def _dockerfile_instructions() -> list[str]:
    """The Dockerfile's instructions, comments dropped and continuation lines joined."""
    lines = [
        line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")
    ]
    return [
        instruction.strip()
        for instruction in re.sub(r"\\\n", " ", "\n".join(lines)).splitlines()
        if instruction.strip()
    ]


def test_compose_services_all_defined():
    # given
    expected = {"db", "redis", "migrate", "web", "worker", "beat"}

    # when
    services = set(_services())

    # then
    assert expected <= services, f"missing services: {sorted(expected - services)}"


def test_compose_app_services_share_one_image_built_from_dockerfile():
    # given
    services = _services()

    # when
    images = {services[name].get("image") for name in APP_SERVICES}
    builds = [services[name].get("build") for name in APP_SERVICES]

    # then
    assert len(images) == 1 and None not in images, f"images differ: {images}"
    for build in builds:
        context = build if isinstance(build, str) else build.get("context")
        dockerfile = (
            "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        )
        assert context == "."
        assert dockerfile == "Dockerfile"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_compose_command_matches_design_process_command(service):
    # given
    expected = PROCESS_COMMANDS[service].split()

    # when
    command = _services()[service].get("command")

    # then
    assert isinstance(command, list), "commands are written in exec form (a list)"
    assert command == expected


def test_compose_proxy_publishes_port_8000_and_web_is_reached_only_through_it():
    services = _services()
    web, proxy = services["web"], services["proxy"]

    assert "ports" not in web and [str(port) for port in web["expose"]] == ["8000"]
    assert [str(port) for port in proxy["ports"]] == ["8000:8000"]
    assert proxy["environment"]["NGINX_UPSTREAM"] == "web:8000"
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    template = "./deploy/nginx/default.conf.template"
    assert f"{template}:/etc/nginx/templates/default.conf.template:ro" in proxy["volumes"]
    assert (REPO_ROOT / template).is_file()
    # the proxy and the application refuse the same bodies
    assert (
        proxy["environment"]["REQUEST_BODY_MAX_BYTES"]
        == (services["web"]["environment"]["REQUEST_BODY_MAX_BYTES"])
    )
    assert services["web"]["environment"]["DJANGO_NUM_PROXIES"] == "1"


def test_compose_web_waits_for_migrate_completed_successfully():
    # given
    web = _services()["web"]

    # when
    depends_on = web.get("depends_on", {})

    # then
    assert depends_on.get("migrate", {}).get("condition") == "service_completed_successfully"


def test_compose_migrate_waits_for_db_healthy():
    # given
    migrate = _services()["migrate"]

    # when
    depends_on = migrate.get("depends_on", {})

    # then
    assert depends_on.get("db", {}).get("condition") == "service_healthy"


def test_compose_db_has_healthcheck():
    # given
    db = _services()["db"]

    # when
    healthcheck = db.get("healthcheck", {})

    # then
    assert healthcheck.get("test"), "db needs a healthcheck for migrate's service_healthy"
    assert not healthcheck.get("disable", False)
    assert "pg_isready" in " ".join(healthcheck["test"])


def test_compose_app_services_use_production_settings_and_service_hosts():
    # given
    services = _services()

    # when
    environments = {name: services[name].get("environment", {}) for name in APP_SERVICES}

    # then
    for name, environment in environments.items():
        assert environment.get("DJANGO_SETTINGS_MODULE") == "config.settings.production", name
        if name == "migrate":  # DDL straight to PostgreSQL
            assert "@db:5432/" in environment.get("DATABASE_URL", ""), name
            assert "DATABASE_TRANSACTION_POOLING" not in environment, name
        else:
            assert "@pgbouncer:6432/" in environment.get("DATABASE_URL", ""), name
            assert environment.get("DATABASE_TRANSACTION_POOLING") == "true", name
        assert environment.get("REDIS_URL") == "redis://redis:6379/0", name
        assert environment.get("CELERY_BROKER_URL") == "redis://redis:6379/1", name
        assert environment.get("DJANGO_SECRET_KEY"), name


def test_dockerfile_venv_installed_with_poetry_only_main():
    # given
    instructions = _dockerfile_instructions()

    # when
    installs = [line for line in instructions if "poetry install" in line]

    # then
    assert installs, "the Dockerfile installs the dependencies with `poetry install`"
    assert all("--only main" in line for line in installs)
    assert any(line.startswith("WORKDIR /app") for line in instructions)
    assert any('"poetry==2.1.4"' in line or "poetry==2.1.4" in line for line in instructions)


def test_dockerfile_cmd_runs_gunicorn_from_venv():
    # given
    instructions = _dockerfile_instructions()

    # when
    cmds = [line for line in instructions if line.startswith("CMD ")]

    # then
    assert cmds, "the Dockerfile has a default CMD"
    assert ".venv/bin/gunicorn" in cmds[-1]
    assert yaml.safe_load(cmds[-1].removeprefix("CMD ")) == PROCESS_COMMANDS["web"].split()


@pytest.mark.parametrize(("seed", "runs"), [("true", True), ("false", False), ("", False)])
def test_compose_demo_seeds_only_when_asked_and_after_migrate(seed, runs):
    import subprocess

    demo = _services()["demo"]
    assert demo["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert demo["environment"]["SEED_DEMO"] == "${SEED_DEMO:-false}"
    shell, flag, script = demo["command"]
    # compose writes $$ for a literal $; the manage.py call is replaced by an echo
    script = script.replace("$$", "$").replace(
        ".venv/bin/python manage.py seed_demo --force", "echo SEEDED"
    )
    result = subprocess.run(
        [shell, flag, script], env={"SEED_DEMO": seed}, capture_output=True, text=True, check=True
    )
    assert ("SEEDED" in result.stdout) is runs


def test_compose_pgbouncer_runs_the_tested_config_in_front_of_db():
    # given
    services = _services()
    pgbouncer = services["pgbouncer"]
    template = (REPO_ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini").read_text()

    # then: the image is built from the same pgbouncer.ini the tests fill in
    assert pgbouncer["build"] == "deploy/pgbouncer"
    assert "COPY pgbouncer.ini" in (REPO_ROOT / "deploy/pgbouncer/Dockerfile").read_text()
    assert "pool_mode = transaction" in template
    assert pgbouncer["environment"]["DATABASE_HOST"] == "db"
    assert pgbouncer["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "worker", "worker-sweeps", "worker-batch", "beat"):
        assert services[name]["depends_on"]["pgbouncer"]["condition"] == "service_healthy", name


def test_compose_gives_sweeps_and_batch_workers_of_their_own():
    # given
    services = _services()

    # then: a settlement on `batch` can never take the sweeps' process
    assert services["worker-sweeps"]["command"][-6:-4] == ["-Q", "sweeps"]
    assert services["worker-batch"]["command"][-4:-2] == ["-Q", "batch"]


def test_compose_replica_streams_from_db_with_the_entrypoint_it_mounts():
    # given: the replica service, and the primary's first-start script
    services = _services()
    replica = services["db-replica"]
    assert replica["profiles"] == ["replica"]
    assert replica["environment"]["PRIMARY_HOST"] == "db"
    assert replica["depends_on"]["db"]["condition"] == "service_healthy"
    mounted = {volume.split(":")[1]: volume.split(":")[0] for volume in replica["volumes"]}
    assert replica["entrypoint"][-1] in mounted
    assert any(volume.endswith("allow-replication.sh:ro") for volume in services["db"]["volumes"])
    assert (
        services["web"]["environment"]["REPLICA_DATABASE_URL"]
        == "${COMPOSE_REPLICA_DATABASE_URL:-}"
    )
    script = REPO_ROOT / mounted[replica["entrypoint"][-1]].removeprefix("./")

    # when: the entrypoint runs against a real primary (a private cluster)
    from bench.private import PG_BIN, PrivatePostgres, _as_postgres, private_postgres
    from bench.stack import kill_group, spawn

    with (
        private_postgres() as primary,
        tempfile.TemporaryDirectory(prefix="replica-entrypoint-") as directory,
    ):
        primary.sql("CREATE TABLE copied (x int)", "INSERT INTO copied VALUES (7)")
        home = Path(directory)
        if os.geteuid() == 0:  # PostgreSQL runs as the postgres user (bench/private.py)
            shutil.chown(home, "postgres", "postgres")
        standby = PrivatePostgres(home)
        env = {
            **os.environ,
            "PATH": f"{PG_BIN}:{os.environ['PATH']}",
            "PGDATA": str(standby.data),
            "PRIMARY_HOST": "127.0.0.1",
            "PRIMARY_PORT": str(primary.port),
            "PGUSER": "postgres",
        }
        server = spawn(
            _as_postgres(
                # The private primary's max_connections; compose's two agree.
                [
                    *("sh", str(script), "-p", str(standby.port), "-k", str(home)),
                    *("-c", "max_connections=200"),
                ]
            ),
            env=env,
            log=home / "replica.log",
        )
        try:
            primary.sql("INSERT INTO copied VALUES (8)")
            deadline = time.monotonic() + 60
            seen = None
            while time.monotonic() < deadline and seen != "t|2":
                with suppress(subprocess.CalledProcessError):
                    seen = standby.sql("SELECT pg_is_in_recovery(), count(*) FROM copied")
                time.sleep(0.2)
        finally:
            kill_group(server, signal.SIGTERM)
        log = (home / "replica.log").read_text()[-2000:]

    # then: a standby, with what the primary had and what it wrote afterwards
    assert seen == "t|2", log
