from __future__ import annotations

from pathlib import Path

import pytest
from paths import REPO

from abusebox.core.config import ConfigError, Settings
from abusebox.core.config_file import load_settings, secret


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_loads_with_documented_defaults() -> None:
    settings = load_settings(REPO / "config.example.toml")
    assert settings.sources[0].kind == "maildir"
    assert settings.sources[0].name == "examples"
    assert settings.grouping.window_days == 7.0
    # relative paths resolve against the config file's directory
    assert settings.resolve_path("examples/inbox") == REPO / "examples" / "inbox"
    assert settings.database_url() == f"sqlite:///{REPO / 'var' / 'abusebox.db'}"


def test_every_settings_key_is_documented_in_the_example() -> None:
    text = (REPO / "config.example.toml").read_text(encoding="utf-8")
    import dataclasses

    def keys(cls: type) -> set[str]:
        return {f.name for f in dataclasses.fields(cls)}

    settings = Settings()
    for section in (
        "database",
        "limits",
        "pgp",
        "triage",
        "enrichment",
        "grouping",
        "lifecycle",
        "retention",
        "mail",
        "web",
    ):
        for key in keys(type(getattr(settings, section))):
            assert f"{key} =" in text or f"# {key} =" in text, f"[{section}] {key} undocumented"


def test_type_error_names_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\nname = "a"\nkind = "imap"\nhost = "h"\nuser = "u"\nport = "x"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(info.value) == 'config.toml: sources[0].port: expected an integer, got "x"'


def test_unknown_key_and_bad_choice_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config.toml: grouping.windw_days: unknown key"):
        load_settings(write(tmp_path, "[grouping]\nwindw_days = 3\n"))
    with pytest.raises(ConfigError, match=r"grouping.key: expected one of ip, prefix, network, asn"):
        load_settings(write(tmp_path, '[grouping]\nkey = "cidr"\n'))


def test_boolean_is_not_an_integer(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"limits.max_parts: expected an integer, got true"):
        load_settings(write(tmp_path, "[limits]\nmax_parts = true\n"))


def test_plain_imap_only_to_loopback(tmp_path: Path) -> None:
    base = '[[sources]]\nname = "a"\nkind = "imap"\nuser = "u"\nsecurity = "plain"\n'
    assert load_settings(write(tmp_path, base + 'host = "127.0.0.1"\n')).sources[0].host == "127.0.0.1"
    with pytest.raises(ConfigError, match="only allowed to a loopback host"):
        load_settings(write(tmp_path, base + 'host = "imap.example.org"\n'))
    forced = load_settings(write(tmp_path, base + 'host = "imap.example.org"\nallow_plain = true\n'))
    assert forced.sources[0].allow_plain


def test_duplicate_source_names_and_missing_path(tmp_path: Path) -> None:
    dup = '[[sources]]\nname = "a"\nkind = "mbox"\npath = "x"\n' * 2
    with pytest.raises(ConfigError, match="duplicate source name 'a'"):
        load_settings(write(tmp_path, dup))
    with pytest.raises(ConfigError, match="needs `path`"):
        load_settings(write(tmp_path, '[[sources]]\nname = "a"\nkind = "maildir"\n'))


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[database\n"))
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "absent.toml")


def test_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ABUSEBOX_TEST_SECRET", "s3cret")
    assert secret("ABUSEBOX_TEST_SECRET", "imap") == "s3cret"
    assert secret(None, "imap") is None
    monkeypatch.delenv("ABUSEBOX_TEST_SECRET")
    with pytest.raises(ConfigError, match="ABUSEBOX_TEST_SECRET is not set"):
        secret("ABUSEBOX_TEST_SECRET", "imap")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[sources]]\nname = "a"\n', "config.toml: sources[0].kind: missing (required)"),
        (
            '[[constituency]]\nnetwork = "10.0.0.0/8"\nowner = 5\n',
            "config.toml: constituency[0].owner: expected a string, got 5",
        ),
        (
            '[[constituency]]\nnetwork = "10.0.0.0/8"\nowner = "x"\ncontacts = ["a", 3]\n',
            "config.toml: constituency[0].contacts[1]: expected a string, got 3",
        ),
        (
            '[[constituency]]\nnetwork = "10.0.0.0/8"\nowner = "x"\n'
            '[[constituency]]\nnetwork = "nope"\nowner = "y"\n',
            "config.toml: constituency[1].network: 'nope' is not a CIDR network",
        ),
        ("constituency = [1]\n", "config.toml: constituency[0]: expected a table, got 1"),
        (
            '[triage.weights]\nspam_words = "a"\n',
            'config.toml: triage.weights.spam_words: expected a number, got "a"',
        ),
        (
            "[enrichment]\nregistry_min_interval_seconds = 3\n",
            "config.toml: enrichment.registry_min_interval_seconds: expected a table, got 3",
        ),
        ("[limits]\nmax_parts = -1\n", "config.toml: limits.max_parts: must not be negative"),
        (
            "[limits]\nmax_read_bytes = 10\n",
            "config.toml: limits.max_read_bytes: must be at least max_message_bytes",
        ),
        ('path = "elsewhere"\n', "config.toml: path: unknown key"),
        (
            '[[sources]]\nname = "a"\nkind = "mbox"\npath = "x"\n'
            '[[sources]]\nname = "a"\nkind = "mbox"\npath = "y"\n',
            "config.toml: sources[1].name: duplicate source name 'a'",
        ),
        (
            '[[sources]]\nname = "a"\nkind = "imap"\nhost = "h"\n',
            "config.toml: sources[0].user: source 'a' of kind imap needs `user`",
        ),
    ],
)
def test_nested_errors_name_the_exact_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    assert str(info.value) == message
