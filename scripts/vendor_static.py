"""Copy pinned front-end files from the npm registry into src/kaizen/static/vendor/.

Run ``make vendor`` after changing package.json. The copied files and their licences are
committed, so installing Kaizen never needs Node.js.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "src" / "kaizen" / "static" / "vendor"

# package name -> (vendor folder, files to copy relative to the package root)
FILES: dict[str, tuple[str, list[str]]] = {
    "htmx.org": ("htmx", ["dist/htmx.min.js", "LICENSE"]),
}


def main() -> int:
    manifest = json.loads((ROOT / "package.json").read_text())
    deps: dict[str, str] = manifest["dependencies"]
    missing = set(deps) - set(FILES)
    if missing:
        print(f"package.json lists packages this script does not know: {sorted(missing)}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(ROOT / "package.json", tmp)
        lock = ROOT / "package-lock.json"
        if lock.exists():
            shutil.copy(lock, tmp)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=tmp, check=True)
        shutil.copy(Path(tmp) / "package-lock.json", lock)
        for package, (folder, files) in FILES.items():
            source = Path(tmp) / "node_modules" / package
            version = json.loads((source / "package.json").read_text())["version"]
            target = VENDOR / folder
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            for name in files:
                shutil.copy(source / name, target / Path(name).name)
            (target / "VERSION").write_text(f"{package} {version}\n")
            print(f"{package} {version} -> {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
