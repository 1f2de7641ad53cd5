"""Where MayaDesk keeps its files: the four platformdirs roots and nothing else.

On Linux these follow `XDG_CONFIG_HOME`, `XDG_DATA_HOME`, `XDG_STATE_HOME` and
`XDG_CACHE_HOME`, so a test run (or a user) can isolate a whole run by setting them.
Paths are computed on each call rather than at import, so a changed environment is seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

from mayadesk import APP_NAME


@dataclass(frozen=True)
class AppPaths:
    """The directories the app may write to (created on demand by `ensure`)."""

    config: Path
    data: Path
    state: Path
    log: Path
    cache: Path

    @property
    def config_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def window_state_file(self) -> Path:
        return self.state / "window.ini"

    @property
    def log_file(self) -> Path:
        return self.log / "mayadesk.log"

    def ensure(self) -> AppPaths:
        for directory in (self.config, self.data, self.state, self.log, self.cache):
            directory.mkdir(parents=True, exist_ok=True)
        return self


def app_paths() -> AppPaths:
    """Return the platform's directories for MayaDesk as the environment names them now."""
    dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
    return AppPaths(
        config=Path(dirs.user_config_dir),
        data=Path(dirs.user_data_dir),
        state=Path(dirs.user_state_dir),
        log=Path(dirs.user_log_dir),
        cache=Path(dirs.user_cache_dir),
    )
