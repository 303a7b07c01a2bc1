"""Deployment settings read from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import load_config


def test_wipe_threshold_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """TAWTHIQ_WIPE_AFTER_FAILED_UNLOCKS sets what handshakes tell devices (0 = never)."""
    base = {"DATA_DIR": tmp_path, "SECRET_KEY": "k"}
    monkeypatch.delenv("TAWTHIQ_WIPE_AFTER_FAILED_UNLOCKS", raising=False)
    assert load_config(base)["WIPE_AFTER_FAILED_UNLOCKS"] == 10
    for text, value in (("3", 3), ("0", 0)):
        monkeypatch.setenv("TAWTHIQ_WIPE_AFTER_FAILED_UNLOCKS", text)
        assert load_config(base)["WIPE_AFTER_FAILED_UNLOCKS"] == value
    for bad in ("-1", "three", "2.5"):
        monkeypatch.setenv("TAWTHIQ_WIPE_AFTER_FAILED_UNLOCKS", bad)
        with pytest.raises(ValueError, match="TAWTHIQ_WIPE_AFTER_FAILED_UNLOCKS"):
            load_config(base)
