"""Damaged bags and bag paths: every loss is reported with counts, a file path reads that file only."""

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bringup_bags import write_imu_bag

from glasses_bringup import bag as bag_module
from glasses_bringup.bag import BagError, raw_messages, read_messages, summarize
from glasses_bringup.cli import main


def mcap_of(bag: Path) -> Path:
    return next(bag.glob("*.mcap"))


@pytest.fixture(scope="module")
def bag_2000(tmp_path_factory):
    bag = tmp_path_factory.mktemp("b2000") / "bag"
    write_imu_bag(bag, 2000)
    return bag


@pytest.fixture(scope="module")
def small_bag(tmp_path_factory):
    bag = tmp_path_factory.mktemp("b40") / "bag"
    write_imu_bag(bag, 40)
    return bag


def test_64_flipped_bytes_that_stop_the_reader_early_are_reported_with_counts(bag_2000, tmp_path, capsys):
    bag = tmp_path / "bag"
    shutil.copytree(bag_2000, bag)
    data = bytearray(mcap_of(bag).read_bytes())
    for k in range(64):  # inside a message record header: the reader stops there, raising nothing
        data[33001 + k] ^= 0xFF
    mcap_of(bag).write_bytes(bytes(data))
    stream = raw_messages(bag)
    n = len(list(stream))
    assert n < 2000
    assert stream.error and f"read {n} of 2000 messages ({2000 - n} lost)" in stream.error
    assert main(["bag-info", str(bag)]) == 1
    assert f"{2000 - n} lost" in capsys.readouterr().out


def test_a_file_path_reads_that_file_not_the_folders_other_bag(small_bag, tmp_path, capsys):
    other = tmp_path / "other"
    write_imu_bag(other, 7)
    folder = tmp_path / "folder"
    shutil.copytree(small_bag, folder)  # a bag of 40 messages with its metadata.yaml
    lone = folder / "other.mcap"
    shutil.copy(mcap_of(other), lone)
    assert summarize(lone)["messages"] == 7
    assert len(list(read_messages(lone))) == 7
    assert summarize(folder / "bag.mcap")["messages"] == 40  # the file that metadata.yaml lists is that bag
    assert summarize(folder)["messages"] == 40
    assert main(["bag-info", str(lone)]) == 0
    assert "7 messages" in capsys.readouterr().out


def test_a_lone_file_that_lost_messages_is_reported(small_bag, tmp_path):
    lone = tmp_path / "lone.mcap"
    data = bytearray(mcap_of(small_bag).read_bytes())
    for k in range(64):
        data[len(data) // 2 + k] ^= 0xFF
    lone.write_bytes(bytes(data))
    stream = raw_messages(lone)
    n = len(list(stream))
    assert n == 40 or (stream.error and "lost" in stream.error)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(1, 255)), min_size=1, max_size=64),
       cut=st.one_of(st.none(), st.floats(0.0, 1.0)))
def test_fuzz_bit_flips_and_truncation_never_crash_and_never_lose_silently(small_bag, flips, cut):
    original = [(t, stamp, data) for t, _, stamp, data in raw_messages(small_bag)]
    with tempfile.TemporaryDirectory() as tmp:
        bag = Path(tmp) / "bag"
        shutil.copytree(small_bag, bag)
        data = bytearray(mcap_of(bag).read_bytes())
        for where, mask in flips:
            data[min(int(where * len(data)), len(data) - 1)] ^= mask
        if cut is not None:
            data = data[: int(cut * len(data))]
        mcap_of(bag).write_bytes(bytes(data))
        try:
            stream = raw_messages(bag)
            got = [(t, stamp, d) for t, _, stamp, d in stream]
        except BagError:
            return  # unopenable: a clear error
        assert stream.error is not None or len(got) == len(original)
        if cut is not None and not flips:
            assert got == original[: len(got)]
        info = summarize(bag)  # bag-info on the same bytes
        assert info["error"] is not None or info["messages"] == len(original)


def test_expected_counts_come_from_metadata_or_the_file_summary(small_bag):
    assert bag_module.expected_counts(small_bag) == {"/imu/data": 40}
    assert bag_module.expected_counts(mcap_of(small_bag)) == {"/imu/data": 40}
