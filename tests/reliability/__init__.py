"""Reliability scenarios: each runs something real (a crawl, a kill, a browser, a load) and
returns what happened as plain data. tests/test_reliability_*.py, tests/test_security_*.py and
tests/test_cli_bad_input.py assert on it; `python -m tests.reliability.report` runs them all and
writes docs/reliability.md.
"""
