"""The apps' layers hold: import-linter checks the contracts in pyproject.toml.

A module that imports a layer above its own (surveys importing followups, crm importing
surveys…) fails this test with the import's file and line. To change the layers, change the
contract and say why in the commit.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"


def test_every_import_goes_down_the_layers():
    result = subprocess.run([sys.executable, "-c", LINT], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout
