"""The scanner's benchmark runs end to end on a few small packs, and voids a wrong count."""

import pytest

from bench import node_classes
from bench.node_packs import GeneratedPack


@pytest.mark.slow
def test_the_smoke_run_scans_generated_packs_and_the_sample(capsys):
    figures = node_classes.main(["--smoke", "--workers", "2"])

    assert figures["generated"]["archives"] == 6
    assert figures["sample"]["archives"] > 100
    assert figures["generated"]["archives_per_s"] > 0
    assert "every pack as generated" in capsys.readouterr().out


def test_a_scan_missing_a_node_class_voids_the_figures(tmp_path):
    pack = GeneratedPack(tmp_path / "pack.zip", 10, 100, node_classes=3)

    with pytest.raises(node_classes.BenchmarkError, match="found 2 node classes, expected 3"):
        node_classes.check([pack], {str(pack.path): (2, None)})
