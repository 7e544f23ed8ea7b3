"""`fabula poem check|forms` through the real CLI."""

import json
from pathlib import Path

from typer.testing import CliRunner

from fabula.cli import app

runner = CliRunner()
DENG = "白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。\n"


def test_check_passes_a_regulated_quatrain_and_prints_the_verdict(tmp_path: Path) -> None:
    poem = tmp_path / "poem.txt"
    poem.write_text(DENG, encoding="utf-8")
    result = runner.invoke(app, ["poem", "check", str(poem), "--form", "wujue"])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("五言绝句: PASS")


def test_check_exits_1_and_names_the_rule_for_a_wrong_acrostic() -> None:
    result = runner.invoke(app, ["poem", "check", "-", "-f", "五绝", "--heads", "白黄欲春", "--json"], input=DENG)
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False and report["form"] == "五言绝句"


def test_missing_file_and_unknown_form_say_what_to_do(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["poem", "check", str(tmp_path / "nope.txt"), "-f", "sonnet"])
    assert missing.exit_code == 1 and "one verse line per line" in missing.output
    unknown = runner.invoke(app, ["poem", "check", "-", "-f", "sestina-x"], input=DENG)
    assert unknown.exit_code == 1 and "Known forms:" in unknown.output


def test_forms_lists_chinese_and_english_forms() -> None:
    result = runner.invoke(app, ["poem", "forms"])
    assert "五言律诗 (wulv, 五律)" in result.output and "villanelle" in result.output
