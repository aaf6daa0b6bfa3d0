"""Benchmarks: scripts that print JSON with the machine and a baseline from the same run.

Run each as a module from the repository root, e.g. ``.venv/bin/python -m benchmarks.seed``
(as a module, this folder is not put first on ``sys.path``, so ``benchmarks/numbers.py``
does not hide the standard library's ``numbers``).
"""
