"""The generated reference docs are up to date with the code."""

from __future__ import annotations

import pytest

from papermm.docgen import DOCS, GENERATED


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_doc_is_current(name: str) -> None:
    committed = (DOCS / name).read_text()
    assert committed == GENERATED[name](), f"docs/{name} is stale: run `.venv/bin/python -m papermm.docgen`"
