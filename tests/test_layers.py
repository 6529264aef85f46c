"""The floors of the house, as import-linter contracts in pyproject.toml ([tool.importlinter]):
the engine imports nothing of the app, webapp.core no feature, the outbox no feature, no
feature the SMS channel, models no operations or views, and nothing but the factory a
module of routes. A new import that breaks one fails here, naming the contract."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_every_layer_contract_is_kept():
    result = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    broken = re.findall(r"^(.+?) BROKEN$", result.stdout, flags=re.M)
    assert result.returncode == 0, (
        f"broken layer contract(s): {broken or 'see output'}\n{result.stdout[-4000:]}{result.stderr[-2000:]}"
    )
    assert re.search(r"Contracts: [1-9]\d* kept, 0 broken", result.stdout), result.stdout[-2000:]


def test_no_import_cycle_between_modules():
    """No module imports, even indirectly and even lazily inside a function, one that
    imports it back (grimp, import-linter's own graph builder)."""
    graph = grimp.build_graph("questionnaires", "webapp", "sms", cache_dir=None)
    cycles = sorted(
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if graph.chain_exists(importer=imported, imported=importer)
    )
    assert not cycles, cycles
