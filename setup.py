"""Build the optional compiled kernels; everything else is in pyproject.toml.

``bmaparse._ckernels`` (normalising and lexing) and ``bmaparse._crules`` (section
rules and value readers) are compiled from their ``.pyx`` by Cython (a build
requirement) when a C compiler works. Where none does, or Cython is missing
(a build without isolation), the extensions are left out and the install still
succeeds: ``bmaparse._compiled`` then selects the pure-Python modules (it uses
the extensions only when both import).
"""

from __future__ import annotations

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """``build_ext`` that reports a failed compile and goes on without the extension.

    ``Extension.optional`` covers a compiler that fails; this also covers one
    that cannot be found (``FileNotFoundError``, which setuptools lets through).
    """

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # any failure: fall back to pure Python
            print(f"bmaparse: not building {ext.name} ({exc}); using pure Python")


def _extensions() -> list[Extension]:
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("bmaparse: Cython is not installed; using pure Python")
        return []
    exts = [Extension(f"bmaparse.{name}", [f"src/bmaparse/{name}.pyx"]) for name in ("_ckernels", "_crules")]
    try:
        built = cythonize(exts, compiler_directives={"language_level": 3})
    except Exception as exc:  # e.g. an sdist without the .pyx: fall back, never fail
        print(f"bmaparse: not compiling the kernels ({exc}); using pure Python")
        return []
    for each in built:  # (after cythonize, which drops the flag)
        each.optional = True  # an editable install then skips its missing file too
    return built


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
