"""`coinwatch-db`: upgrade / current / check on TimescaleDB, and the installed entry point."""

import subprocess
import sys
from pathlib import Path

import pytest

from coinwatch_assets.db_cli import main
from coinwatch_assets.lib.storage.schema import head_revision


def test_upgrade_then_check_and_current(
    empty_timescale_url: str, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COINWATCH_DATABASE_URL", empty_timescale_url)
    assert main(["check"]) == 1
    assert "coinwatch-db upgrade" in capsys.readouterr().err
    assert main(["upgrade"]) == 0
    assert f"upgraded from empty to {head_revision()} (head)" in capsys.readouterr().out
    assert main(["upgrade"]) == 0
    assert "already at schema revision" in capsys.readouterr().out
    assert main(["check"]) == 0
    assert main(["current"]) == 0
    assert f"{head_revision()}; this coinwatch's head: {head_revision()}" in (
        capsys.readouterr().out
    )


def test_the_console_script_is_installed(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("coinwatch-db")
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    proc = subprocess.run([script, "--url", url, "upgrade"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert f"to {head_revision()} (head)" in proc.stdout


_UPGRADE_FROM_BUILD = """
import sys
import coinwatch_assets
from coinwatch_assets.lib.storage.schema import upgrade_database
assert coinwatch_assets.__file__.startswith(sys.argv[1]), coinwatch_assets.__file__
print(upgrade_database(sys.argv[2])[1].revision)
"""


def test_the_built_package_ships_the_migrations_and_can_migrate(tmp_path: Path) -> None:
    # What a wheel holds is what setup.py's build_py copies: the package can migrate from
    # there, away from the source tree (env.py, the template and every revision shipped).
    root = Path(__file__).resolve().parents[1]
    build = tmp_path / "build"
    subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(build)],
        cwd=root,
        check=True,
        capture_output=True,
    )
    shipped = build / "coinwatch_assets/lib/storage/migrations"
    revisions = sorted(p.name for p in (root / shipped.relative_to(build) / "versions").glob("0*"))
    assert revisions and (shipped / "script.py.mako").exists() and (shipped / "env.py").exists()
    assert sorted(p.name for p in (shipped / "versions").glob("0*")) == revisions
    url = f"sqlite:///{tmp_path / 'from-build.sqlite'}"
    proc = subprocess.run(
        [sys.executable, "-c", _UPGRADE_FROM_BUILD, str(build), url],
        cwd=tmp_path,
        env={"PYTHONPATH": str(build), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == head_revision()


@pytest.mark.parametrize("command", ["upgrade", "current", "check"])
def test_an_unknown_database_or_role_is_one_clear_line(
    timescale, command: str, capsys: pytest.CaptureFixture
) -> None:
    for url in (
        timescale.url("no_such_database").replace("@", ":s3cret-pw@", 1),
        timescale.url("postgres").replace(f"{timescale.user}@", "nobody:s3cret-pw@", 1),
    ):
        assert main(["--url", url, command]) == 1
        err = capsys.readouterr().err
        assert f"coinwatch-db {command}: cannot connect to the database" in err, err
        assert "COINWATCH_DATABASE_URL" in err and "s3cret-pw" not in err
        assert "Traceback" not in err and len(err.splitlines()) == 1


def test_current_on_a_database_ahead_of_the_code_says_so_and_fails(
    timescale_url: str, capsys: pytest.CaptureFixture
) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(timescale_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    engine.dispose()
    assert main(["--url", timescale_url, "current"]) == 1
    out, err = capsys.readouterr()
    assert f"0099; this coinwatch's head: {head_revision()}" in out
    assert "does not know: a newer coinwatch upgraded it" in err
