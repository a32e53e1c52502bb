import re
from pathlib import Path

import pytest

from bot.config import (
    MASK,
    NOT_SET,
    ConfigError,
    Settings,
    keys,
    load_settings,
    parse_schedule,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"
SECRET = "xoxb-very-secret-123"


@pytest.fixture(autouse=True)
def _empty_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No stray ./config.toml, and the real environment must not leak into these tests."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OUTPUTS_SERVER__PORT", "1")  # would show up if os.environ leaked in
    monkeypatch.setenv("SLACK_BOT_TOKEN", "from-the-real-environment")


def write(tmp_path: Path, text: str, name: str = "config.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def value(settings: Settings, key: str) -> str:
    return dict(settings.describe())[key]


# --- the example documents every key ---------------------------------------------------


def example_keys() -> set[tuple[str, str]]:
    """(section, key) for every `key = …` line, commented out or not."""
    found, section = set(), None
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^\[(\w+)\]\s*$", line):
            section = m.group(1)
        elif (m := re.match(r"^#?\s*(\w+)\s*=", line)) and section:
            found.add((section, m.group(1)))
    return found


def test_example_parses_and_equals_the_defaults() -> None:
    settings = load_settings(str(EXAMPLE), env={})
    assert settings == load_settings(env={})


def test_example_documents_every_key_with_its_env_variable() -> None:
    assert set(keys()) <= example_keys()
    text = EXAMPLE.read_text(encoding="utf-8")
    for section, key in keys():
        assert f"OUTPUTS_{section}__{key}".upper() in text, (section, key)


def test_keys_walk_the_model_tree() -> None:
    tree = {
        (section, f.alias or name)
        for section, info in Settings.model_fields.items()
        for name, f in info.annotation.model_fields.items()  # type: ignore[union-attr]
    }
    assert set(keys()) == tree
    assert ("logging", "json") in tree and ("access", "admins") in tree


# --- sources and precedence ---------------------------------------------------------------


def test_defaults_without_any_file_or_env() -> None:
    s = load_settings(env={})
    assert (s.server.host, s.server.port) == ("0.0.0.0", 3000)
    assert s.database.url == "sqlite+aiosqlite:///outputs.db"
    assert s.slack.api_base_url == "https://slack.com/api/" and s.slack.command == "/outputs"
    assert s.slack.bot_token is None and s.teams.allow_unauthenticated is False
    assert s.access.admins == ()
    assert s.defaults.schedule_value() == parse_schedule("fri 16:00")
    assert s.logging.json_logs == "auto"
    assert s.console.user == "admin"


def test_env_beats_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[server]\nport = 4000\nhost = "127.0.0.1"\n[slack]\ncommand = "/out"\n')
    s = load_settings(path, env={"OUTPUTS_SERVER__PORT": "5000"})
    assert s.server.port == 5000
    assert s.server.host == "127.0.0.1"  # the file still fills what env leaves alone
    assert s.slack.command == "/out"
    s = load_settings(path, env={"outputs_slack__api_base_url": "http://localhost:9/api/"})
    assert s.slack.api_base_url == "http://localhost:9/api/"


def test_platform_secret_names_are_honoured() -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "sig",
        "SLACK_APP_TOKEN": "xapp-1",
        "SLACK_CLIENT_ID": "123.456",
        "SLACK_CLIENT_SECRET": "cs",
        "MICROSOFT_APP_ID": "app-id",
        "MICROSOFT_APP_PASSWORD": "pw",
        "MICROSOFT_APP_TENANT_ID": "tenant",
        "DATABASE_URL": "postgresql://u:pw@db/outputs",
    }
    s = load_settings(env=env)
    assert s.slack.bot_token and s.slack.bot_token.get_secret_value() == "xoxb-1"
    assert s.slack.signing_secret and s.slack.signing_secret.get_secret_value() == "sig"
    assert s.slack.app_token and s.slack.app_token.get_secret_value() == "xapp-1"
    assert s.slack.client_id == "123.456"
    assert s.slack.client_secret and s.slack.client_secret.get_secret_value() == "cs"
    assert s.teams.app_id == "app-id" and s.teams.tenant_id == "tenant"
    assert s.teams.app_password and s.teams.app_password.get_secret_value() == "pw"
    assert s.database.url == "postgresql://u:pw@db/outputs"


def test_precedence_outputs_env_then_platform_env_then_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[slack]\nbot_token = "from-file"\n[database]\nurl = "sqlite:///f.db"\n')
    s = load_settings(path, env={})
    assert s.slack.bot_token and s.slack.bot_token.get_secret_value() == "from-file"
    s = load_settings(path, env={"SLACK_BOT_TOKEN": "platform", "DATABASE_URL": "sqlite:///p.db"})
    assert s.slack.bot_token and s.slack.bot_token.get_secret_value() == "platform"
    assert s.database.url == "sqlite:///p.db"
    s = load_settings(
        path, env={"SLACK_BOT_TOKEN": "platform", "OUTPUTS_SLACK__BOT_TOKEN": "outputs"}
    )
    assert s.slack.bot_token and s.slack.bot_token.get_secret_value() == "outputs"
    # empty variables count as unset
    s = load_settings(path, env={"SLACK_BOT_TOKEN": "", "OUTPUTS_SLACK__BOT_TOKEN": ""})
    assert s.slack.bot_token and s.slack.bot_token.get_secret_value() == "from-file"


def test_admins_as_json_list() -> None:
    s = load_settings(env={"OUTPUTS_ACCESS__ADMINS": '["U1","U2"]'})
    assert s.access.admins == ("U1", "U2")


def test_admins_not_json_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"OUTPUTS_ACCESS__ADMINS: access\.admins: .*JSON"):
        load_settings(env={"OUTPUTS_ACCESS__ADMINS": "U1,U2"})


def test_typed_values_from_env() -> None:
    env = {
        "OUTPUTS_TEAMS__ALLOW_UNAUTHENTICATED": "true",
        "OUTPUTS_LOGGING__JSON": "false",
        "OUTPUTS_LOGGING__LEVEL": "debug",
        "OUTPUTS_SCHEDULER__SLACK_RATE_PER_SECOND": "1.5",
        "OUTPUTS_DEFAULTS__SCHEDULE": "MON 09:30",
    }
    s = load_settings(env=env)
    assert s.teams.allow_unauthenticated is True
    assert s.logging.json_logs is False and s.logging.level == "DEBUG"
    assert s.scheduler.slack_rate_per_second == 1.5
    assert s.defaults.schedule == "mon 09:30"
    assert s.defaults.schedule_value().weekday == 0


def test_outputs_config_path(tmp_path: Path) -> None:
    path = write(tmp_path, "[server]\nport = 4100\n", name="elsewhere.toml")
    assert load_settings(env={"OUTPUTS_CONFIG": path}).server.port == 4100
    other = write(tmp_path, "[server]\nport = 4200\n", name="explicit.toml")
    assert load_settings(other, env={"OUTPUTS_CONFIG": path}).server.port == 4200


def test_config_toml_in_working_directory(tmp_path: Path) -> None:
    assert load_settings(env={}).server.port == 3000
    write(tmp_path, "[server]\nport = 4300\n")
    assert load_settings(env={}).server.port == 4300


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.toml: configuration file not found"):
        load_settings(str(tmp_path / "nope.toml"), env={})
    with pytest.raises(ConfigError, match="gone.toml"):
        load_settings(env={"OUTPUTS_CONFIG": str(tmp_path / "gone.toml")})


# --- errors name the file and the key -------------------------------------------------------


def test_unknown_key_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, '[slack]\napi_base_uri = "http://x/"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={})
    assert path in str(err.value)
    assert "slack.api_base_uri: unknown key" in str(err.value)
    assert "api_base_url" in str(err.value)  # the known keys are listed


def test_unknown_section_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[slak]\ncommand = 1\n")
    with pytest.raises(ConfigError, match=r"config\.toml: \[slak\]: unknown section"):
        load_settings(path, env={})
    path = write(tmp_path, "port = 3000\n")
    with pytest.raises(ConfigError, match=r"\[port\]: unknown section"):
        load_settings(path, env={})


def test_unknown_env_key_is_an_error() -> None:
    with pytest.raises(ConfigError, match="OUTPUTS_SLACK__BOT_TOKN: slack.bot_tokn: unknown key"):
        load_settings(env={"OUTPUTS_SLACK__BOT_TOKN": "x"})


def test_bad_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[server]\nhost = "0.0.0.0"\nport = = 3\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={})
    assert path in str(err.value) and "line 3" in str(err.value)


def test_bad_timezone_names_the_key_and_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[defaults]\ntimezone = "Europe/Pariss"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={})
    msg = str(err.value)
    assert path in msg and "defaults.timezone" in msg and "Europe/Pariss" in msg


def test_bad_timezone_from_env_names_the_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "[defaults]\n")
    with pytest.raises(ConfigError, match="OUTPUTS_DEFAULTS__TIMEZONE: defaults.timezone"):
        load_settings(path, env={"OUTPUTS_DEFAULTS__TIMEZONE": "Mars/Olympus"})


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[server]\nport = "three thousand"\n', "server.port"),
        ("[server]\nport = 70000\n", "server.port"),
        ('[access]\nadmins = "U1"\n', "access.admins"),
        ("[access]\nadmins = [1]\n", "access.admins"),
        ('[defaults]\nlanguage = "de"\n', "defaults.language"),
        ('[defaults]\nschedule = "friday 4pm"\n', "defaults.schedule"),
        ('[defaults]\nschedule = "fri 24:00"\n', "defaults.schedule"),
        ('[teams]\napp_type = "Both"\n', "teams.app_type"),
        ('[logging]\njson = "sometimes"\n', "logging.json"),
        ('[database]\nurl = "mysql://u:hunter2@h/db"\n', "database.url"),
        ('[slack]\ncommand = "outputs"\n', "slack.command"),
        ("[digest]\nmax_items = 0\n", "digest.max_items"),
        ("server = 3\n", "server"),
    ],
)
def test_wrong_values_name_file_and_key(tmp_path: Path, toml: str, key: str) -> None:
    path = write(tmp_path, toml)
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={})
    assert f"{path}: {key}" in str(err.value)
    assert "hunter2" not in str(err.value)


# --- secrets stay secret -------------------------------------------------------------------


def secret_env() -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": SECRET,
        "SLACK_SIGNING_SECRET": SECRET + "-sig",
        "OUTPUTS_SLACK__CLIENT_SECRET": SECRET + "-cs",
        "MICROSOFT_APP_PASSWORD": SECRET + "-pw",
        "DATABASE_URL": f"postgresql+asyncpg://bot:{SECRET}@db:5432/outputs",
    }


def test_secrets_never_in_describe_or_repr() -> None:
    s = load_settings(env=secret_env())
    assert SECRET not in repr(s) and SECRET not in str(s)
    described = s.describe()
    assert SECRET not in repr(described)
    shown = dict(described)
    assert shown["slack.bot_token"] == MASK
    assert shown["slack.signing_secret"] == MASK
    assert shown["slack.client_secret"] == MASK
    assert shown["teams.app_password"] == MASK
    assert shown["slack.app_token"] == NOT_SET
    assert shown["database.url"] == f'"postgresql+asyncpg://bot:{MASK}@db:5432/outputs"'


def test_describe_lists_every_key_once() -> None:
    described = load_settings(env={}).describe()
    assert [k for k, _ in described] == [f"{s}.{k}" for s, k in keys()]
    shown = dict(described)
    assert shown["server.port"] == "3000"
    assert shown["server.host"] == '"0.0.0.0"'
    assert shown["access.admins"] == "[]"
    assert shown["logging.json"] == '"auto"'
    assert shown["teams.allow_unauthenticated"] == "false"
    assert shown["slack.bot_token"] == NOT_SET


def test_settings_are_frozen() -> None:
    s = load_settings(env={})
    with pytest.raises(ValueError):
        s.server.port = 1  # type: ignore[misc]


def test_parse_schedule() -> None:
    assert str(parse_schedule(" Fri 16:00 ")) == "fri 16:00"
    assert parse_schedule("sun 00:05").weekday == 6
    for bad in ("fri", "fri 4pm", "fri 16:60", "dim 10:00", "fri 7:00"):
        with pytest.raises(ValueError):
            parse_schedule(bad)
