"""``flask consent ...`` through Flask's CliRunner: every command, its output and its errors."""

from __future__ import annotations

import csv
import io
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from conftest import record_count, shop_purposes
from consent_log_data import RECORDS, seed
from flask import Flask

from flask_consent import Consent, ConsentRecord, Cookie, Purpose


@pytest.fixture
def seeded(app: Flask) -> Flask:
    seed(app)
    return app


def run(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["consent", *args])


# --- init-db and audit --------------------------------------------------------------------------------------

def test_init_db_creates_the_log_and_is_repeatable(app: Flask) -> None:
    first = run(app, "init-db")
    again = run(app, "init-db")
    assert (first.exit_code, again.exit_code) == (0, 0)
    assert "Consent log ready." in again.output


def test_audit_lists_undeclared_cookies_the_app_set(app: Flask, make_app: Callable[..., Flask]) -> None:
    assert run(app, "audit").output.strip() == "No undeclared cookies seen."

    @app.get("/tracker")
    def tracker() -> Any:
        from flask import make_response

        resp = make_response("x")
        resp.set_cookie("mystery_id", "1")
        return resp

    app.test_client().get("/tracker")
    result = run(app, "audit")
    assert result.exit_code == 0
    assert result.output.split() == ["mystery_id"]
    assert "mystery_id" in run(app, "check").output

    # Declared since (the same instance folder, now with a purpose naming it): no longer reported.
    declared = [*(p for p in shop_purposes() if p.key != "analytics"),
                Purpose("analytics", "Analytics", "Counts visits.", cookies=[Cookie("mystery_id")])]
    later = make_app(declared)
    assert run(later, "audit").output.strip() == "No undeclared cookies seen."
    assert "mystery_id" not in run(later, "check").output


def test_database_unreachable_exits_3_with_a_message(make_app: Callable[..., Flask], tmp_path: Any) -> None:
    app = make_app()
    app.extensions["consent"].store.url = f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}"
    app.extensions["consent"].store._engine = None
    result = run(app, "stats")
    assert result.exit_code == 3
    assert "The consent log is unavailable" in result.output
    assert "Traceback" not in result.output


# --- check ----------------------------------------------------------------------------------------------------

def test_an_export_while_the_log_is_unreachable_leaves_the_earlier_file_as_it_was(
    make_app: Callable[..., Flask], tmp_path: Any
) -> None:
    app = make_app()
    app.extensions["consent"].store.url = f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}"
    app.extensions["consent"].store._engine = None
    out = tmp_path / "keep.jsonl"
    out.write_text("earlier export\n", encoding="utf-8")
    result = run(app, "export", "-o", str(out))
    assert result.exit_code == 3
    assert out.read_text(encoding="utf-8") == "earlier export\n"


def test_check_passes_a_sound_configuration(app: Flask) -> None:
    result = run(app, "check")
    assert result.exit_code == 0, result.output
    assert "No problems found." in result.output


def test_check_reports_each_problem_and_exits_1(make_app: Callable[..., Flask], db_url: str) -> None:  # C10
    purposes = [
        *shop_purposes(),
        Purpose("surveys", "Surveys", ""),
        Purpose("essentials", "Essentials", "Keeps the site running.", required=True),
    ]
    app = make_app(purposes, TESTING=False, SECRET_KEY="x" * 40, CONSENT_CREATE_TABLES=False)
    app.config["SECRET_KEY"] = "secret"
    app.extensions["consent"].store.drop_all()

    @app.get("/tracker")
    def tracker() -> Any:
        from flask import make_response

        resp = make_response("x")
        resp.set_cookie("mystery_id", "1")
        return resp

    app.test_client().get("/tracker")
    result = run(app, "check")
    assert result.exit_code == 1
    out = result.output
    assert "purpose 'surveys' has no description" in out
    assert "required purpose 'essentials' has no justification" in out
    assert "cookie 'mystery_id' was set but no purpose declares it" in out
    assert "SECRET_KEY is weak" in out
    assert "problem: the consent log table does not exist and CONSENT_CREATE_TABLES is off" in out
    assert ("warning: the consent log is on SQLite in production" in out) == db_url.startswith("sqlite")
    assert "SQLite" not in "".join(line for line in out.splitlines() if line.startswith("problem:"))


def _readme_app(tmp_path: Any, purposes: list[Purpose] | None = None, **config: Any) -> Flask:
    """The README's quick start as written: no database URL, tables created on first use, not debug."""
    app = Flask("readme_shop", instance_path=str(tmp_path / "instance"), template_folder=str(tmp_path / "tpl"))
    app.config["SECRET_KEY"] = "a long random value"
    app.config.update(config)
    Consent(app, purposes=purposes if purposes is not None else [
        Purpose("recommendations", title="Personalised recommendations",
                description="Suggestions from what you browse and buy.",
                cookies=[Cookie("recs_*", lifetime="30 days")]),
        Purpose("location", title="Nearby offers", description="Stores and offers near you."),
    ])
    return app


def test_check_exits_0_on_the_readme_default_setup(tmp_path: Any) -> None:
    result = run(_readme_app(tmp_path), "check")
    assert result.exit_code == 0, result.output
    assert "problem:" not in result.output
    assert "warning: the consent log is on SQLite in production" in result.output
    assert "No problems found (1 warning(s))." in result.output


def test_check_fails_on_a_missing_table_only_when_tables_are_not_created_on_first_use(tmp_path: Any) -> None:
    managed = _readme_app(tmp_path, CONSENT_CREATE_TABLES=False)
    result = run(managed, "check")
    assert result.exit_code == 1
    assert "problem: the consent log table does not exist" in result.output
    assert run(managed, "init-db").exit_code == 0
    assert run(managed, "check").exit_code == 0


def test_check_warns_when_google_consent_mode_follows_no_purpose(tmp_path: Any) -> None:
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "base.html").write_text("<head>{{ consent_gcm_default() }}</head>", encoding="utf-8")
    (tmp_path / "tpl" / "plain.html").write_text("<p>no tags</p>", encoding="utf-8")
    stats_only = [Purpose("stats", "Statistics", "Counts visits.")]
    result = run(_readme_app(tmp_path, stats_only), "check")
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.output.splitlines() if "Google Consent Mode" in x]
    assert line.startswith("warning: base.html use Google Consent Mode, but no purpose grants analytics_storage")

    mapped = [Purpose("stats", "Statistics", "Counts visits.", gcm=["analytics_storage"])]
    assert "Google Consent Mode" not in run(_readme_app(tmp_path, mapped), "check").output
    by_key = [Purpose("analytics", "Analytics", "Counts visits.")]
    assert "Google Consent Mode" not in run(_readme_app(tmp_path, by_key), "check").output


def test_check_does_not_warn_about_google_consent_mode_without_the_helpers(tmp_path: Any) -> None:
    result = run(_readme_app(tmp_path, [Purpose("stats", "Statistics", "Counts visits.")]), "check")
    assert "Google Consent Mode" not in result.output


def test_check_warns_when_gpc_does_not_refuse_advertising(tmp_path: Any) -> None:
    ads = [Purpose("advertising", "Advertising", "Offers based on your visits.")]
    result = run(_readme_app(tmp_path, ads), "check")
    assert result.exit_code == 0, result.output
    assert "warning: purpose 'advertising' shares data for advertising but a Global Privacy Control" in result.output
    opted = [Purpose("advertising", "Advertising", "Offers based on your visits.", gpc_opt_out=True)]
    assert "Global Privacy Control" not in run(_readme_app(tmp_path, opted), "check").output


# --- stats ----------------------------------------------------------------------------------------------------

def test_stats_json_gives_rates_per_purpose_methods_and_gpc_share(seeded: Flask) -> None:
    result = run(seeded, "stats", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["records"], data["subjects"]) == (4, 3)
    assert data["refusal_rate"] == 0.25
    assert data["gpc_share"] == 0.25
    assert data["purposes"]["recommendations"] == {"granted": 3, "denied": 1, "opt_in_rate": 0.75}
    assert data["purposes"]["analytics"]["opt_in_rate"] == pytest.approx(1 / 3)
    assert data["methods"] == {"banner_accept_all": 1, "banner_reject_all": 1, "gpc": 1, "preferences": 1}
    assert [d["day"] for d in data["days"]] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert data["days"][0]["purposes"]["location"] == {"granted": 1, "denied": 1, "opt_in_rate": 0.5}
    assert [(b["policy_version"], b["records"]) for b in data["banner_versions"]] == [("2", 1), ("1", 3)]


def test_stats_window_since_is_inclusive_until_exclusive(seeded: Flask) -> None:
    result = run(seeded, "stats", "--format", "json", "--since", "2026-11-02", "--until", "2026-11-03")
    data = json.loads(result.output)
    assert data["records"] == 1
    assert data["methods"] == {"gpc": 1}
    assert data["since"] == "2026-11-02T00:00:00Z"


def test_stats_table_is_readable(seeded: Flask) -> None:
    result = run(seeded, "stats")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["records", "4"]
    assert any(line.split() == ["recommendations", "3", "1", "75.0%"] for line in lines)
    assert any(line.split() == ["banner_reject_all", "1"] for line in lines)


def test_stats_of_an_empty_log(app: Flask) -> None:
    data = json.loads(run(app, "stats", "--format", "json").output)
    assert data["records"] == 0
    assert data["refusal_rate"] is None
    assert data["purposes"]["location"]["opt_in_rate"] is None


@pytest.mark.parametrize(
    "args, message",
    [
        (["--since", "yesterday"], "'yesterday' is not a date"),
        (["--until", "2026-13-01"], "is not a date"),
        (["--since", "2026-11-05", "--until", "2026-11-01"], "--since must be earlier than --until"),
        (["--format", "xml"], "'xml' is not one of 'table', 'json'"),
        (["--bogus"], "No such option"),
    ],
)
def test_stats_usage_errors_exit_2(app: Flask, args: list[str], message: str) -> None:
    result = run(app, "stats", *args)
    assert result.exit_code == 2
    assert message in result.output


# --- export ---------------------------------------------------------------------------------------------------

def test_export_jsonl_streams_every_record_oldest_first(seeded: Flask) -> None:  # C14, C17
    result = run(seeded, "export", "--batch-size", "3")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["id"] for r in rows] == ["r1", "r2", "r3", "r4"]
    assert rows[2]["gpc"] is True
    assert rows[1]["denied"]["advertising"] == 1
    assert rows[0]["created_at"] == "2026-11-01T10:00:00Z"




def test_export_csv_to_a_file_with_window_and_subject(seeded: Flask, tmp_path: Any) -> None:
    out = tmp_path / "s1.csv"
    result = run(seeded, "export", "--format", "csv", "--subject", "s1", "--since", "2026-11-01T10:30:00Z",
                 "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Exported 1 records." in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == ["r4"]
    assert json.loads(rows[0]["denied"]) == {"analytics": 1}
    assert rows[0]["user_id"] == ""


def test_export_shows_a_progress_bar_when_asked(seeded: Flask, tmp_path: Any) -> None:
    result = run(seeded, "export", "--progress", "-o", str(tmp_path / "all.jsonl"))
    assert result.exit_code == 0
    assert "Exporting" in result.stderr
    assert len((tmp_path / "all.jsonl").read_text().splitlines()) == 4


@pytest.mark.parametrize(
    "args, message",
    [
        (["--format", "xlsx"], "'xlsx' is not one of 'jsonl', 'csv'"),
        (["--since", "2026-02-30"], "is not a date"),
        (["--since", "9999-12-31T23:00-05:00"], "is out of range"),  # past year 9999 in UTC
        (["--until", "0001-01-01T00:30+01:00"], "is out of range"),
        (["-o", "/nonexistent-dir/out.jsonl"], "No such file or directory"),
        (["--batch-size", "0"], "0 is not in the range"),
    ],
)
def test_export_usage_errors_exit_2(seeded: Flask, args: list[str], message: str) -> None:
    result = run(seeded, "export", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_a_usage_error_leaves_an_earlier_export_file_as_it_was(seeded: Flask, tmp_path: Any) -> None:
    out = tmp_path / "keep.jsonl"
    out.write_text("earlier export\n", encoding="utf-8")
    for bad in (["--since", "2027-01-01", "--until", "2026-01-01"], ["--since", "2026-13-01"]):
        assert run(seeded, "export", "-o", str(out), *bad).exit_code == 2
        assert out.read_text(encoding="utf-8") == "earlier export\n"


def test_an_empty_export_to_a_file_still_makes_the_file(app: Flask, tmp_path: Any) -> None:
    for fmt, lines in (("jsonl", 0), ("csv", 1)):  # the CSV has its header row
        out = tmp_path / f"none.{fmt}"
        result = run(app, "export", "--format", fmt, "-o", str(out))
        assert result.exit_code == 0 and "Exported 0 records." in result.output
        assert len(out.read_text(encoding="utf-8").splitlines()) == lines


def test_an_export_to_standard_output_is_only_the_records(seeded: Flask) -> None:
    result = seeded.test_cli_runner().invoke(args=["consent", "export"])
    assert result.exit_code == 0
    assert "Exported" not in result.stdout and "Exported" not in result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["r1", "r2", "r3", "r4"]


def test_csv_export_keeps_generated_ids_exactly_and_neutralises_free_text(app: Flask, tmp_path: Any) -> None:
    """About one generated id in 64 starts with ``-``: it must stay as the log has it (it is looked up again),
    while text the app gives (a user id) that starts like a formula is neutralised."""
    store = app.extensions["consent"].store
    with app.app_context():
        store.init_db()
    record = replace(RECORDS[0], id="-sB7ObWijv7bZehC", subject_id="-subject1", consent_id="-consent1",
                     user_id="=HYPERLINK(\"http://evil.example\")")
    store.append(record)
    out = tmp_path / "ids.csv"
    assert run(app, "export", "--format", "csv", "-o", str(out)).exit_code == 0
    (row,) = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert (row["id"], row["subject_id"], row["consent_id"]) == ("-sB7ObWijv7bZehC", "-subject1", "-consent1")
    assert row["user_id"] == "'=HYPERLINK(\"http://evil.example\")"
    assert run(app, "export", "--subject", row["subject_id"]).output.count("-sB7ObWijv7bZehC") == 1


def test_export_to_a_directory_exits_2(seeded: Flask, tmp_path: Any) -> None:
    result = run(seeded, "export", "-o", str(tmp_path))
    assert result.exit_code == 2
    assert "is a directory" in result.output.lower()


def test_export_to_a_full_disk_exits_2_without_a_traceback(seeded: Flask) -> None:
    result = run(seeded, "export", "-o", "/dev/full")
    assert result.exit_code == 2
    assert "Could not write the export to /dev/full" in result.output
    assert "Traceback" not in result.output


# --- purge ----------------------------------------------------------------------------------------------------

def test_purge_dry_run_counts_and_deletes_nothing(seeded: Flask) -> None:
    result = run(seeded, "purge", "--before", "2026-11-02", "--dry-run")
    assert result.exit_code == 0
    assert "Would delete 2 records" in result.output
    assert record_count(seeded) == 4


def test_purge_deletes_older_records_in_batches(seeded: Flask) -> None:
    result = run(seeded, "purge", "--before", "2026-11-03", "--batch-size", "1", "--progress")
    assert result.exit_code == 0, result.output
    assert "Deleted 3 records" in result.output
    assert "Purging" in result.stderr
    store = seeded.extensions["consent"].store
    assert [r.id for r in store.iter_records()] == ["r4"]


def test_store_purge_reports_each_batch(seeded: Flask) -> None:
    from datetime import datetime, timezone

    batches: list[int] = []
    store = seeded.extensions["consent"].store
    assert store.purge(datetime(2026, 11, 30, tzinfo=timezone.utc), batch_size=3, progress=batches.append) == 4
    assert batches == [3, 1]


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "Missing option '--before'"),
        (["--before", "last week"], "is not a date"),
        (["--before", "2999-01-01"], "is in the future"),
        (["--before", "2026-11-02", "--batch-size", "-5"], "is not in the range"),
    ],
)
def test_purge_usage_errors_exit_2_and_delete_nothing(seeded: Flask, args: list[str], message: str) -> None:
    result = run(seeded, "purge", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert record_count(seeded) == 4


def test_help_documents_the_exit_codes(app: Flask) -> None:
    for command in ("check", "stats", "export", "purge", "flush"):
        result = run(app, command, "--help")
        assert ("Exit codes: 0 done, 1 problems found (check) or records still spooled (flush), 2 usage error, "
                "3 consent log unavailable.") in " ".join(result.output.split())
    check_help = " ".join(run(app, "check", "--help").output.split())
    assert "each warning as a 'warning:' line; warnings alone exit 0." in check_help


PIPED_SHOP = """
from flask import Flask
from flask_consent import Consent

app = Flask(__name__, instance_path={instance!r})
app.config.update(SECRET_KEY="piped-shop-key-0123456789abcdef", CONSENT_DATABASE_URL={db!r})
Consent(app)
"""


def _flask_shell(tmp_path: Any, records: list[ConsentRecord], command: str) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in bash (``flask`` stands for this Python's ``-m flask``) against a shop whose log holds
    ``records``, as a shop developer runs the CLI in a terminal."""
    db = f"sqlite:///{tmp_path / 'consent.db'}"
    (tmp_path / "piped_shop.py").write_text(PIPED_SHOP.format(instance=str(tmp_path / "instance"), db=db))
    app = Flask("seeder", instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="piped-shop-key-0123456789abcdef", CONSENT_DATABASE_URL=db)
    Consent(app)
    assert app.extensions["consent"].store.append_idempotent(records) == len(records)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    script = command.replace("flask ", f"{shlex.quote(sys.executable)} -m flask ", 1)
    return subprocess.run(["bash", "-c", script], cwd=tmp_path, env={**env, "FLASK_APP": "piped_shop"},
                          capture_output=True, text=True, timeout=60)


def test_export_into_a_closed_pipe_ends_quietly(tmp_path: Any) -> None:
    # Far more than a pipe holds (64 KiB), so export is still writing when head has gone.
    many = [replace(RECORDS[i % 4], id=f"r{i:05d}") for i in range(3000)]
    done = _flask_shell(tmp_path, many, "flask consent export | head -1; exit ${PIPESTATUS[0]}")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert json.loads(done.stdout)["id"] == "r00000"


def test_an_export_to_standard_output_redirected_to_a_file_holds_only_records(tmp_path: Any) -> None:
    """``flask consent export > all.jsonl 2>&1``: the count line belongs to exports into a named file only."""
    done = _flask_shell(tmp_path, RECORDS, "flask consent export > all.jsonl 2>&1")
    assert done.returncode == 0
    lines = (tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["r1", "r2", "r3", "r4"]
