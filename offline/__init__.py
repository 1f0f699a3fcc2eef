"""Offline tools for this repository: run the real stack program under the Pulumi SDK's
mock engine and render what it registers (`python -m offline`). Not part of the
installed component: `pip install clearwater-sg` ships `clearwater_sg` only."""
