"""The bundled set is read from a snapshot of itself as loaded and validated, while it matches."""

import dataclasses
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

import ecore.data.market as market_mod
from ecore.data.loaders import DEFAULT_MAX_GAP_DAYS, DataWarning
from ecore.data.market import BUNDLED_DIR, BUNDLED_LABEL, _load, load_market, read_snapshot, write_snapshot


def validated(root):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return _load(root, None, DEFAULT_MAX_GAP_DAYS, BUNDLED_LABEL)


def assert_same_market(a, b):
    for name in ("yields", "closes", "rates"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
        assert getattr(a, name).attrs == getattr(b, name).attrs, name
    assert a.issues == b.issues and a.source == b.source and a.real_futures is b.real_futures is None
    for f in dataclasses.fields(a.securities):
        x, y = getattr(a.securities, f.name), getattr(b.securities, f.name)
        assert x.dtype == y.dtype and np.array_equal(x, y), f.name


def test_the_bundled_snapshot_is_the_bundled_files_validated_row_by_row():
    # Fails when a bundled file changed without `python3 -m ecore.data.build_bundled`.
    snap = read_snapshot(BUNDLED_DIR, BUNDLED_LABEL)
    assert snap is not None
    assert_same_market(validated(BUNDLED_DIR), snap)


def test_load_market_reads_the_bundled_set_from_its_snapshot(monkeypatch):
    monkeypatch.setattr(market_mod, "_BUNDLED_CACHE", None)
    monkeypatch.setattr(market_mod, "_load", lambda *a, **k: pytest.fail("validated the files again"))
    m = load_market()
    assert m.yields.loc["2026-04-17", "DGS10"] > 0 and "IVV" in m.closes.columns


def test_a_file_changed_after_the_snapshot_was_made_voids_it(tmp_path):
    root = tmp_path / "data"
    shutil.copytree(BUNDLED_DIR, root)
    write_snapshot(root)
    assert read_snapshot(root, "copy") is not None
    dgs10 = root / "yields" / "DGS10.csv.gz"
    dgs10.write_bytes(dgs10.read_bytes() + b"\n")
    assert read_snapshot(root, "copy") is None


def test_finding_paths_follow_the_folder_the_snapshot_is_read_from(tmp_path):
    root = tmp_path / "data"
    shutil.copytree(BUNDLED_DIR, root)
    write_snapshot(root)
    gap = next(i for i in read_snapshot(root, "copy").issues if i.kind == "gap")
    assert gap.path == str(root / "yields" / "DGS20.csv.gz") and gap.line == 8285


def test_a_rebuild_from_the_same_files_writes_the_same_bytes(tmp_path):
    root = tmp_path / "data"
    shutil.copytree(BUNDLED_DIR, root)
    assert write_snapshot(root).read_bytes() == (BUNDLED_DIR / "snapshot" / "market.npz").read_bytes()
