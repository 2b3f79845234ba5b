"""The package's layout: modules small enough to hold one concern, and a docstring that maps it."""

from __future__ import annotations

from pathlib import Path

import mixscope

PACKAGE = Path(mixscope.__file__).parent
MAX_LINES = 600


def test_no_module_is_over_600_lines():
    sizes = {
        path.relative_to(PACKAGE.parent).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    over = {name: lines for name, lines in sorted(sizes.items()) if lines > MAX_LINES}
    assert not over, f"modules over {MAX_LINES} lines (split them by concern): {over}"


def test_the_package_docstring_names_every_subpackage_and_module():
    subpackages = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    modules = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    assert subpackages >= {"data", "model", "surface", "plan", "cli"}  # the walk found the package
    missing = sorted(name for name in subpackages | modules if f"``{name}``" not in mixscope.__doc__)
    assert not missing, f"mixscope/__init__.py's docstring does not mention: {missing}"
