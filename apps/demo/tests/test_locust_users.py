"""Every user class of the locustfile, a few seconds each, against a live test
server holding only the demo data (`seed_demo`): zero failures, so a newcomer's
first load test runs from a fresh clone."""

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[3]
USER_CLASSES = re.findall(
    r"^class (\w+)\((?:ApiUser|HttpUser)\):", (ROOT / "locustfile.py").read_text(), re.M
)


@pytest.fixture
def demo_server(live_server, settings):
    call_command("seed_demo", "--force", stdout=io.StringIO())
    # every simulated user signs up and logs in from one address
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(
            settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/minute"
        ),
    }
    return live_server.url


def test_the_locustfile_has_user_classes():
    assert len(USER_CLASSES) >= 6, USER_CLASSES


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("user_class", [c for c in USER_CLASSES if c != "ApiUser"])
def test_each_locust_user_class_runs_without_a_failure(demo_server, user_class, tmp_path):
    csv = tmp_path / "run"
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("locust")),
            "-f",
            str(ROOT / "locustfile.py"),
            "--host",
            demo_server,
            "--headless",
            "--users",
            "3",
            "--spawn-rate",
            "3",
            "--run-time",
            "4s",
            "--stop-timeout",
            "5",
            "--csv",
            str(csv),
            "--only-summary",
            user_class,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    stats = (tmp_path / "run_stats.csv").read_text()
    failures = (tmp_path / "run_failures.csv").read_text().strip().splitlines()[1:]
    total = stats.strip().splitlines()[-1].split(",")
    requests, failed = int(total[2]), int(total[3])
    assert requests > 0, result.stderr[-2000:]
    assert failed == 0 and not failures, "\n".join(failures) or result.stderr[-2000:]
