"""What the benches share: each its own database, and results saved with their conditions."""

import importlib
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def benchlib(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(BENCH))
    module = importlib.import_module("benchlib")
    monkeypatch.setattr(module, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(module, "_database_url", module._database_url)
    return module


def test_a_bench_reads_only_its_own_database_variable(benchlib, monkeypatch):
    monkeypatch.setenv("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/npsapp_bench_dataset")
    monkeypatch.delenv("BENCH_SUBMIT_DATABASE_URL", raising=False)
    benchlib.use_database("BENCH_SUBMIT_DATABASE_URL", "npsapp_bench_submit")
    assert benchlib.database_name() == "npsapp_bench_submit"
    assert benchlib.bench_env()["DATABASE_URL"].endswith("/npsapp_bench_submit")

    monkeypatch.setenv("BENCH_SUBMIT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/npsapp_bench_other")
    benchlib.use_database("BENCH_SUBMIT_DATABASE_URL", "npsapp_bench_submit")
    assert benchlib.database_name() == "npsapp_bench_other"


def test_a_report_saves_its_tables_targets_commit_and_load(benchlib, capsys):
    report = benchlib.Report("example")
    report.table("timings", ["step", "ms"], [["first page", 12.5]])
    report.target("first page < 100 ms", "12.5 ms", True)
    report.target("search < 10 ms", "25.0 ms", False)
    path = report.save()

    saved = json.loads(path.read_text())
    assert path.name == "example.json"
    assert saved["tables"] == [{"title": "timings", "headers": ["step", "ms"], "rows": [["first page", 12.5]]}]
    assert [(t["target"], t["met"]) for t in saved["targets"]] == [
        ("first page < 100 ms", True),
        ("search < 10 ms", False),
    ]
    assert len(saved["load_average_start"]) == 3 and len(saved["load_average_end"]) == 3
    assert saved["commit"] != "" and saved["command"].startswith(Path(sys.executable).name)
    printed = capsys.readouterr().out
    assert "search < 10 ms" in printed and "NO" in printed
