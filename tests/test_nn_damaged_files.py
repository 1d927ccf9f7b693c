"""Damaged or hostile checkpoints: each gives one `error:` line naming the file and what is wrong, with
declared sizes checked before anything is inflated or allocated (issue 17)."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from convcalc.errors import ConvCalcError
from convcalc.nn import Callback, Sequential, TrainingInterrupted, session

TINY = "conv(4, 3) relu pool(2) flatten dense(10) softmax"


@pytest.fixture(scope="module")
def resumable(tmp_path_factory):
    """A checkpoint of a run interrupted at epoch 1, batch 3."""
    path = tmp_path_factory.mktemp("ckpt") / "run.npz"

    class Stop(Callback):
        def on_batch_end(self, batch, logs):
            if batch == 2:
                raise KeyboardInterrupt

    config = session.TrainConfig(model=TINY, limit=200, epochs=2, batch_size=50, momentum=0.9)
    with pytest.raises(TrainingInterrupted):
        session.run(config, [Stop()], checkpoint=path)
    return path


def _rewrite(src, dst, change_meta=None, change_arrays=None):
    with np.load(src, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    meta = json.loads(str(arrays.pop("__meta__")))
    if change_meta:
        change_meta(meta)
    if change_arrays:
        change_arrays(arrays)
    np.savez(dst, __meta__=np.array(json.dumps(meta)), **arrays)
    return dst


def _one_error_line(result, path, *words):
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert str(path) in lines[0] or path.name in lines[0], lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    assert "internal error" not in lines[0]


def test_the_fixture_resumes(run_cli, resumable):
    assert Sequential.load(resumable).resume_state["batch"] == 3


def test_a_checkpoint_cut_to_half(run_cli, resumable, tmp_path):
    cut = tmp_path / "cut.npz"
    data = resumable.read_bytes()
    cut.write_bytes(data[:len(data) // 2])
    _one_error_line(run_cli("train", "--resume", str(cut)), cut, "truncated")
    _one_error_line(run_cli("evaluate", str(cut)), cut, "truncated")


def test_a_npy_renamed_npz(run_cli, tmp_path):
    fake = tmp_path / "model.npz"
    with open(fake, "wb") as f:
        np.save(f, np.arange(10))
    _one_error_line(run_cli("evaluate", str(fake)), fake, ".npy")


def test_missing_keys(run_cli, resumable, tmp_path):
    path = _rewrite(resumable, tmp_path / "nolayers.npz", lambda m: m.pop("layers"))
    _one_error_line(run_cli("train", "--resume", str(path)), path, "layers")
    path = _rewrite(resumable, tmp_path / "noweights.npz",
                    change_arrays=lambda a: a.pop(next(k for k in a if k.startswith("param/"))))
    _one_error_line(run_cli("train", "--resume", str(path)), path, "param")
    path = _rewrite(resumable, tmp_path / "nostate.npz", lambda m: m["train_state"].pop("epoch"))
    _one_error_line(run_cli("train", "--resume", str(path)), path, "epoch")


def test_a_bad_permutation(run_cli, resumable, tmp_path):
    def dup(arrays):
        arrays["state/perm"] = np.zeros_like(arrays["state/perm"])

    path = _rewrite(resumable, tmp_path / "perm.npz", change_arrays=dup)
    _one_error_line(run_cli("train", "--resume", str(path)), path, "permutation")

    def short(arrays):
        arrays["state/perm"] = arrays["state/perm"][:5]

    path = _rewrite(resumable, tmp_path / "perm2.npz", change_arrays=short)
    _one_error_line(run_cli("train", "--resume", str(path)), path, "permutation")


def test_a_wrong_rng_state(run_cli, resumable, tmp_path):
    def bad(meta):
        meta["train_state"]["shuffle_rng"] = {"bit_generator": "PCG64", "state": {"state": "x", "inc": 1}}

    path = _rewrite(resumable, tmp_path / "rng.npz", bad)
    _one_error_line(run_cli("train", "--resume", str(path)), path, "random")


def test_layer_sizes_of_10_to_the_12(run_cli, resumable, tmp_path):
    def huge(meta):
        dense = next(d for d in meta["layers"] if d["type"] == "Dense")
        dense["units"] = 10**12

    path = _rewrite(resumable, tmp_path / "huge.npz", huge)
    _one_error_line(run_cli("train", "--resume", str(path)), path, "parameters")
    _one_error_line(run_cli("evaluate", str(path)), path, "parameters")


def test_an_array_header_declaring_10_to_the_12_values(run_cli, tmp_path):
    path = tmp_path / "liar.npz"
    header = np.lib.format.header_data_from_array_1_0(np.zeros(3))
    header["shape"] = (10**12,)
    with zipfile.ZipFile(path, "w") as archive, archive.open("w.npy", "w") as member:
        np.lib.format.write_array_header_1_0(member, header)
        member.write(np.zeros(3).tobytes())
    with pytest.raises(ConvCalcError, match="declares shape"):
        Sequential.load(path)
    _one_error_line(run_cli("evaluate", str(path)), path, "declares")


def test_a_zip_bomb_is_refused_before_inflating(run_cli, tmp_path):
    path = tmp_path / "bomb.npz"
    chunk, count = bytes(1 << 24), 10  # 168 MB of zeros deflate to about 160 kB (1000x)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        with archive.open("x.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(
                member, {"shape": (count * len(chunk),), "fortran_order": False, "descr": "|u1"})
            for _ in range(count):
                member.write(chunk)
    assert path.stat().st_size * 200 < count * len(chunk)
    _one_error_line(run_cli("evaluate", str(path)), path, "zip bomb")


def test_a_forged_directory_size_is_refused(tmp_path):
    """The sizes the zip directory declares are checked before reading (3 GB declared in a tiny file)."""
    path = tmp_path / "forged.npz"
    np.savez(path, w=np.zeros(4))
    raw = bytearray(path.read_bytes())
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24:central + 28] = (3 * 10**9).to_bytes(4, "little")  # uncompressed size
    path.write_bytes(bytes(raw))
    with pytest.raises(ConvCalcError, match="declares 3,000,000"):
        Sequential.load(path)


@pytest.mark.parametrize("bad", [["a", "list"], {"model": 5}, {"epochs": "many"}, {"nesterov": 1}])
def test_wrong_training_options_in_a_checkpoint(run_cli, resumable, tmp_path, bad):
    def change(meta):
        if isinstance(bad, dict):
            meta["extra"]["train_config"].update(bad)
        else:
            meta["extra"]["train_config"] = bad

    path = _rewrite(resumable, tmp_path / "config.npz", change)
    _one_error_line(run_cli("train", "--resume", str(path)), path, "train_config")


def test_evaluate_refuses_a_damaged_resume_point_too(run_cli, resumable, tmp_path):
    path = _rewrite(resumable, tmp_path / "state.npz", lambda m: m["train_state"].update(epoch=-3))
    _one_error_line(run_cli("evaluate", str(path)), path, "epoch")
