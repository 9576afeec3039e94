"""The command line's pieces that need no subprocess: table layout, the shared --config option."""

from __future__ import annotations


def test_table_cells_are_clipped_within_their_width() -> None:
    from abusebox.cli.output import _width, table

    out = table([("x" * 60, "あ" * 30, "e\u0301" * 30)], ("A", "B", "C"), max_width=10).splitlines()
    cells = out[2].split("  ")
    assert cells == ["x" * 9 + "…", "あ" * 4 + "…", "e\u0301" * 9 + "…"]
    assert [_width(c) for c in cells] == [10, 9, 10]


def test_every_command_takes_config() -> None:
    import argparse

    from abusebox.cli import build_parser

    def leaves(parser: argparse.ArgumentParser, path: tuple[str, ...]):  # type: ignore[no-untyped-def]
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            yield path, parser
        for action in subs:
            for name, child in action.choices.items():
                yield from leaves(child, (*path, name))

    found = list(leaves(build_parser(), ()))
    assert len(found) > 20
    for path, parser in found:
        assert "--config" in parser._option_string_actions, " ".join(path)
